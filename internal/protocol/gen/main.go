// Command gen generates iamd's typed API packages from AWS JSON service models, and strips botocore's models
// down to what the generator and the runtime need.
//
//	go run ./internal/protocol/gen -strip botocore/data/iam/2010-05-08/service-2.json.gz -o internal/api/models/iam.json
//	go run ./internal/protocol/gen -model internal/api/models/iam.json -pkg iamapi -o internal/api/iamapi/api.go
//	go run ./internal/protocol/gen -vectors query-input.json -prefix QI -pkg vectors -o vectors/query_input.go
//
// The output is deterministic (model order, gofmt), so running it twice gives no diff.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

func main() {
	strip := flag.String("strip", "", "strip this botocore model (.json or .json.gz) to -o")
	model := flag.String("model", "", "generate a service package from this (stripped) model")
	vectors := flag.String("vectors", "", "generate shapes of every suite in this protocol test file")
	prefix := flag.String("prefix", "", "type name prefix for -vectors")
	pkg := flag.String("pkg", "", "Go package name")
	out := flag.String("o", "", "output file")
	flag.Parse()
	if err := run(*strip, *model, *vectors, *prefix, *pkg, *out); err != nil {
		slog.Error("gen failed", "err", err)
		os.Exit(1)
	}
}

func run(strip, model, vectors, prefix, pkg, out string) error {
	if out == "" {
		return fmt.Errorf("-o is required")
	}
	var (
		data []byte
		err  error
	)
	switch {
	case strip != "":
		v, err := readModel(strip)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		writeOrdered(&buf, stripDocs(v), "")
		buf.WriteByte('\n')
		data = buf.Bytes()
	case model != "":
		v, err := readModel(model)
		if err != nil {
			return err
		}
		m, ok := v.(*obj)
		if !ok {
			return fmt.Errorf("%s: not a JSON object", model)
		}
		data, err = generateService(m, pkg)
		if err != nil {
			return fmt.Errorf("%s: %w", model, err)
		}
	case vectors != "":
		v, err := readModel(vectors)
		if err != nil {
			return err
		}
		suites, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: not a JSON list", vectors)
		}
		data, err = generateVectors(suites, pkg, prefix)
		if err != nil {
			return fmt.Errorf("%s: %w", vectors, err)
		}
	default:
		return fmt.Errorf("one of -strip, -model, -vectors is required")
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func readModel(path string) (any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("gunzip %s: %w", path, err)
		}
		r = gz
	}
	return parseOrdered(r)
}

// droppedKeys are model keys nothing in iamd reads: prose, examples and client-side hints.
var droppedKeys = map[string]bool{
	"documentation":       true,
	"documentationUrl":    true,
	"examples":            true,
	"deprecatedMessage":   true,
	"deprecatedSince":     true,
	"staticContextParams": true,
	"contextParam":        true,
	"clientContextParams": true,
}

func stripDocs(v any) any {
	switch t := v.(type) {
	case *obj:
		n := &obj{vals: map[string]any{}}
		for _, k := range t.keys {
			if droppedKeys[k] {
				continue
			}
			n.keys = append(n.keys, k)
			n.vals[k] = stripDocs(t.vals[k])
		}
		return n
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = stripDocs(e)
		}
		return out
	}
	return v
}
