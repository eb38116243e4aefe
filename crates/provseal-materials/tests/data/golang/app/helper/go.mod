module example.com/provseal/helper

go 1.21
