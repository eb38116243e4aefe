package main

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/pkg/errors"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

func main() {
	var v map[string]any
	_ = yaml.Unmarshal([]byte("a: 1"), &v)
	fmt.Println(uuid.NewString(), errors.New("x"), cases.Title(language.English).String("hi"), v)
}
