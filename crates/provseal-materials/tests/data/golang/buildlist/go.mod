module example.com/app

go 1.26.0

require (
	github.com/google/uuid v1.6.0
	github.com/pkg/errors v0.9.1
	golang.org/x/text v0.44.0
	gopkg.in/yaml.v3 v3.0.1
)
