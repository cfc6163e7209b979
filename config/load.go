package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads, decodes and validates the file at path. Errors name the file,
// the line and the field path: "velox.yaml:12: clusters[0].backends[1].weight: must be >= 0, got -3".
// Every problem is reported, one per line, in an Errors.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for bytes already read; name is used in error messages.
//
// The file is decoded twice: into a yaml.Node tree, indexed by field path
// to remember lines, and into a Config with unknown fields refused. Unless
// a value could not be decoded at all (leaving the Config incomplete), the
// Config is also validated, so that one run reports every problem.
func Parse(name string, data []byte) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && err != io.EOF {
		return nil, syntaxError(name, err)
	}
	if err := dec.Decode(new(yaml.Node)); err != io.EOF {
		return nil, Errors{{File: name, Line: 1, Msg: "want exactly one YAML document"}}
	}
	src := newSource(name, &root)
	c := &Config{src: src}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	errs, intact := src.floats, true
	if err := strict.Decode(c); err != nil && err != io.EOF {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, syntaxError(name, err)
		}
		var more Errors
		more, intact = src.rewrite(te.Errors)
		errs = append(errs, more...)
	}
	if intact {
		errs = append(errs, c.validate()...)
	}
	if err := errs.sorted(); err != nil {
		return nil, err
	}
	return c, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns "yaml: line 3: did not find expected key" into a FieldError.
func syntaxError(name string, err error) error {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Errors{{File: name, Line: line, Msg: m[2]}}
	}
	return Errors{{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}}
}
