module example.com/provseal/gofixture

go 1.21

require (
	github.com/pkg/errors v0.9.1
	github.com/stretchr/testify v1.8.4
	github.com/ybbus/jsonrpc v2.1.2+incompatible
	example.com/provseal/helper v0.0.0
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

replace example.com/provseal/helper => ./helper
