package manifests

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/talospatch/talospatch/internal/valuesschema"
)

// errOfflineSchemaRef is returned for a schema $ref to a file or URL: rendering is offline.
var errOfflineSchemaRef = errors.New("schema references to files and URLs are not fetched: rendering is offline")

// schemaLoader resolves the $refs of values schemas offline: urn: references become the
// permissive schema `true` (as in Helm without a URN resolver), everything else is refused.
type schemaLoader struct{}

func (schemaLoader) Load(url string) (any, error) {
	if strings.HasPrefix(url, "urn:") {
		return true, nil
	}

	return nil, fmt.Errorf("%w: %s", errOfflineSchemaRef, url)
}

// schemaLocation is the location Helm gives a chart's values.schema.json.
const schemaLocation = "file:///values.schema.json"

// compiledSchema is one chart's compiled values.schema.json. The fast path
// (internal/valuesschema) decides most checks; jsonschema, which Helm uses, is compiled only
// for schemas outside the fast path and when the fast path does not answer "valid", so that
// every failure carries Helm's own message.
type compiledSchema struct {
	raw  []byte
	fast *valuesschema.Schema // nil: the schema is outside the fast path

	once   sync.Once
	schema *jsonschema.Schema
	err    error
}

// compileSchemas compiles the values schemas of c and its dependencies, keyed by the chart's
// full path. Compiling dominates the cost of a schema check, so a Renderer does it once.
func compileSchemas(c *chart.Chart, into map[string]*compiledSchema) {
	if c.Schema != nil {
		into[c.ChartFullPath()] = compileSchema(c.Schema)
	}

	for _, d := range c.Dependencies() {
		compileSchemas(d, into)
	}
}

// compileSchema compiles schemaJSON for the fast path, and with jsonschema when the fast path
// declines it.
func compileSchema(schemaJSON []byte) *compiledSchema {
	cs := &compiledSchema{raw: schemaJSON}

	if fast, err := valuesschema.Compile(schemaJSON); err == nil {
		cs.fast = fast
	} else {
		cs.full()
	}

	return cs
}

// full returns the schema compiled by jsonschema as Helm compiles it (once).
func (cs *compiledSchema) full() (*jsonschema.Schema, error) {
	cs.once.Do(func() {
		cs.schema, cs.err = compileFull(cs.raw)
	})

	return cs.schema, cs.err
}

func compileFull(schemaJSON []byte) (schema *jsonschema.Schema, err error) {
	defer func() {
		if r := recover(); r != nil {
			schema, err = nil, fmt.Errorf("unable to compile schema: %v", r)
		}
	}()

	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}

	compiler := jsonschema.NewCompiler()
	compiler.UseLoader(schemaLoader{})

	if err := compiler.AddResource(schemaLocation, doc); err != nil {
		return nil, err
	}

	return compiler.Compile(schemaLocation)
}

// validateValues checks coalesced values against the compiled schemas of c and of its
// dependencies that have values, like Helm's chartutil.ValidateAgainstSchema, with Helm's
// messages.
func validateValues(c *chart.Chart, values map[string]any, schemas map[string]*compiledSchema) error {
	var sb strings.Builder

	validateChart(c, values, schemas, &sb)

	if sb.Len() > 0 {
		return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", sb.String())
	}

	return nil
}

func validateChart(c *chart.Chart, values map[string]any, schemas map[string]*compiledSchema, sb *strings.Builder) {
	if c.Schema != nil {
		cs, ok := schemas[c.ChartFullPath()]
		if !ok {
			cs = compileSchema(c.Schema)
		}

		if err := validateOne(cs, values); err != nil {
			fmt.Fprintf(sb, "%s:\n", c.Name())
			sb.WriteString(err.Error())
		}
	}

	for _, sub := range c.Dependencies() {
		raw, exists := values[sub.Name()]
		if !exists || raw == nil {
			continue
		}

		subValues, ok := raw.(map[string]any)
		if !ok {
			fmt.Fprintf(sb, "%s:\ninvalid type for values: expected object (map), got %T\n", sub.Name(), raw)

			continue
		}

		validateChart(sub, subValues, schemas, sb)
	}
}

func validateOne(cs *compiledSchema, values map[string]any) (err error) {
	if cs.fast != nil && cs.fast.Check(values) == valuesschema.Valid {
		return nil
	}

	schema, err := cs.full()
	if err != nil {
		return err
	}

	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unable to validate schema: %v", r)
		}
	}()

	if err := schema.Validate(values); err != nil {
		msg := strings.TrimPrefix(err.Error(), "jsonschema validation failed with '"+schemaLocation+"#'\n")

		return errors.New(msg + "\n")
	}

	return nil
}
