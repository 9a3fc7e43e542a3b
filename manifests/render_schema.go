package manifests

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"helm.sh/helm/v3/pkg/chart"
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

// compiledSchema is the compiled values.schema.json of one chart, or why it failed to compile.
type compiledSchema struct {
	schema *jsonschema.Schema
	err    error
}

// compileSchemas compiles the values schemas of c and its dependencies, keyed by the chart's
// full path. Compiling dominates the cost of a schema check, so a Renderer does it once.
func compileSchemas(c *chart.Chart, into map[string]compiledSchema) {
	if c.Schema != nil {
		into[c.ChartFullPath()] = compileSchema(c.Schema)
	}

	for _, d := range c.Dependencies() {
		compileSchemas(d, into)
	}
}

func compileSchema(schemaJSON []byte) (cs compiledSchema) {
	defer func() {
		if r := recover(); r != nil {
			cs = compiledSchema{err: fmt.Errorf("unable to compile schema: %v", r)}
		}
	}()

	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return compiledSchema{err: err}
	}

	compiler := jsonschema.NewCompiler()
	compiler.UseLoader(schemaLoader{})

	if err := compiler.AddResource(schemaLocation, doc); err != nil {
		return compiledSchema{err: err}
	}

	schema, err := compiler.Compile(schemaLocation)
	if err != nil {
		return compiledSchema{err: err}
	}

	return compiledSchema{schema: schema}
}

// validateValues checks coalesced values against the compiled schemas of c and of its
// dependencies that have values, like Helm's chartutil.ValidateAgainstSchema, with Helm's
// messages.
func validateValues(c *chart.Chart, values map[string]any, schemas map[string]compiledSchema) error {
	var sb strings.Builder

	validateChart(c, values, schemas, &sb)

	if sb.Len() > 0 {
		return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", sb.String())
	}

	return nil
}

func validateChart(c *chart.Chart, values map[string]any, schemas map[string]compiledSchema, sb *strings.Builder) {
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

func validateOne(cs compiledSchema, values map[string]any) (err error) {
	if cs.err != nil {
		return cs.err
	}

	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unable to validate schema: %v", r)
		}
	}()

	if err := cs.schema.Validate(values); err != nil {
		msg := strings.TrimPrefix(err.Error(), "jsonschema validation failed with '"+schemaLocation+"#'\n")

		return errors.New(msg + "\n")
	}

	return nil
}
