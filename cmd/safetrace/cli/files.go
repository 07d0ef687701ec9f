package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// stdout is where subcommands print their results; tests replace it.
var stdout io.Writer = os.Stdout

// writeFile fills path with write, or writes to stdout for "-". On failure
// it removes the partial file.
func writeFile(path string, write func(io.Writer) error) error {
	if path == "-" {
		return write(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// readFile opens name and decodes it with read; errors name the file.
func readFile[T any](name string, read func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(name)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		return v, fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}

// readStrictJSON decodes the JSON file path into v, refusing unknown fields.
func readStrictJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writePublic writes v as indented JSON to stdout and, if path is not empty,
// to path.
func writePublic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	stdout.Write(b)
	if path == "" {
		return nil
	}
	return os.WriteFile(path, b, 0o644)
}
