package helmengine

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
	"unsafe"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"github.com/gobwas/glob"
	helmchart "helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"sigs.k8s.io/yaml"
	goyaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/talospatch/talospatch/internal/parallel"
)

// This file is a second implementation of Helm's template engine (helm.sh/helm/v4/pkg/engine,
// as `helm template` runs it: not strict, no linting, no DNS, no cluster) for one purpose:
// parsing the templates, most of a render's cost, on every core and once per Renderer, which
// Helm's engine cannot (it parses file after file inside Engine.Render). Execution follows
// Helm's exactly: the same function map, the same template set built in the same order, the
// same values per file, files executed in Helm's order, "<no value>" removed.
//
// It is only ever trusted with success. A parse error, an execution error or a panic makes the
// render start over with Helm's engine on fresh values (templates may have changed the values
// before failing), so every failure carries Helm's own message; renders with a lookup source
// (RenderOptions.Previous) run here too, with a lookup that finds those objects. Failures that
// Helm's engine would die on or run for nothing (a limit, a cyclic value, the end of the
// context) are final instead (Final). Tests compare both engines' output for
// every shipped chart and many value sets. One difference remains by construction: .Files is
// this package's type, so a template that prints its Go type (typeOf, printf "%T") sees
// helmengine.chartFiles where Helm's engine shows its unexported engine.files.

// ErrGaveUp marks a failure of the parallel engine: the caller renders with Helm's engine,
// on fresh copies of the chart and values, for Helm's own error.
var ErrGaveUp = errors.New("parallel template engine gave up")

// maxIncludeDepth is how often one template may be included within itself, as in Helm.
const maxIncludeDepth = 1000

// templateBuiltins are the names of text/template's built-in functions, which its parser
// accepts besides the function map. (A name added by a later Go release fails the parallel
// parse, and the render falls back to Helm's engine.)
var templateBuiltins = map[string]any{
	"and": true, "call": true, "html": true, "index": true, "slice": true, "js": true, "len": true,
	"not": true, "or": true, "print": true, "printf": true, "println": true, "urlquery": true,
	"eq": true, "ge": true, "gt": true, "le": true, "lt": true, "ne": true,
}

// helmFuncNames are the names of the functions of Helm's template function map, for parsing.
var helmFuncNames = sync.OnceValue(func() map[string]any {
	names := map[string]any{}
	for name := range helmFuncs() {
		names[name] = true
	}

	return names
})

// helmFuncs returns the function map of Helm's engine for a render: sprig's text functions
// without env and expandenv, Helm's YAML, JSON and TOML functions (their must forms too), its
// duration functions, and include, tpl, required, fail, lookup and getHostByName as
// `helm template` binds them (no cluster, no DNS). A name missing here fails the parse, and
// the chart goes to Helm's engine, so TestHelmFunctionNames keeps the two maps equal. include
// and tpl are only named here: Execute binds them to its template set and the render's budget
// (includeFunc, tplFunc) and bounds the sizes (boundSizes).
func helmFuncs() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")

	f["toToml"] = tomlEncode
	f["mustToToml"] = mustEncode("mustToToml", tomlText)
	f["fromToml"] = decodeMap(toml.Unmarshal)
	f["toYaml"] = yamlEncode
	f["mustToYaml"] = mustEncode("mustToYaml", yamlText)
	f["toYamlPretty"] = yamlEncodePretty
	f["fromYaml"] = decodeMap(yamlUnmarshal)
	f["fromYamlArray"] = decodeList(yamlUnmarshal)
	f["toJson"] = jsonEncode
	f["mustToJson"] = mustEncode("mustToJson", jsonText)
	f["fromJson"] = decodeMap(json.Unmarshal)
	f["fromJsonArray"] = decodeList(json.Unmarshal)
	addDurationFuncs(f)

	// Without a cluster, lookup finds nothing, and DNS lookups are off.
	f["lookup"] = func(string, string, string, string) (map[string]any, error) { return map[string]any{}, nil }
	f["getHostByName"] = func(string) string { return "" }

	f["required"] = func(msg string, val any) (any, error) {
		if s, isString := val.(string); val == nil || isString && s == "" {
			return val, fmt.Errorf("%w: required: %s", ErrGaveUp, msg)
		}

		return val, nil
	}
	f["fail"] = func(msg string) (string, error) {
		return "", fmt.Errorf("%w: fail: %s", ErrGaveUp, msg)
	}

	guardCycles(f)

	f["include"] = func(string, any) (string, error) { return "", errors.New("include outside a render") }
	f["tpl"] = func(string, any) (string, error) { return "", errors.New("tpl outside a render") }

	return f
}

// includeFunc executes the named template of set with data, as Helm's include does.
func includeFunc(set *template.Template, depth map[string]int, b *budget) func(string, any) (string, error) {
	return func(name string, data any) (string, error) {
		if depth[name] > maxIncludeDepth {
			return "", fmt.Errorf("%w: template %s includes itself too deeply", ErrGaveUp, name)
		}

		function := "include " + name
		if err := b.enter(function); err != nil {
			return "", err
		}
		defer b.leave()

		depth[name]++
		defer func() { depth[name]-- }()

		w := &writer{b: b, function: function}
		if err := set.ExecuteTemplate(w, name, data); err != nil {
			return "", b.cause(err)
		}

		return w.sb.String(), nil
	}
}

// tplFunc renders text as a template with the templates of parent, as Helm's tpl does: in a
// clone of parent's set, where include and tpl see the clone, under parent's name.
func tplFunc(parent *template.Template, depth map[string]int, b *budget) func(string, any) (string, error) {
	return func(text string, data any) (string, error) {
		if err := b.enter("tpl"); err != nil {
			return "", err
		}
		defer b.leave()

		clone, err := parent.Clone()
		if err != nil {
			return "", err
		}

		clone.Option("missingkey=zero")
		clone.Funcs(template.FuncMap{"include": includeFunc(clone, depth, b), "tpl": tplFunc(clone, depth, b)})

		t, err := clone.New(parent.Name()).Parse(text)
		if err != nil {
			return "", err
		}

		guardPrints(t.Tree.Root)
		guardTplDefines(text, clone, parent)

		w := &writer{b: b, function: "tpl"}
		if err := t.Execute(w, data); err != nil {
			return "", b.cause(err)
		}

		return strings.ReplaceAll(w.sb.String(), "<no value>", ""), nil
	}
}

// yamlText is toYaml's encoding and its error: mustToYaml fails with the error, toYaml gives
// the empty string instead (a template cannot handle the error; so does Helm).
func yamlText(v any) (string, error) {
	out, err := yaml.Marshal(v)
	if err != nil {
		return "", err
	}

	return strings.TrimSuffix(string(out), "\n"), nil
}

func yamlEncode(v any) string {
	out, _ := yamlText(v)

	return out
}

// mustEncode makes a must* encoder of Helm's (mustToYaml, mustToJson, mustToToml): Helm's
// panics on an encoding error and text/template reports it; this one gives up, so that the
// render reports Helm's own message.
func mustEncode(name string, text func(any) (string, error)) func(any) (string, error) {
	return func(v any) (string, error) {
		out, err := text(v)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrGaveUp, name, err)
		}

		return out, nil
	}
}

func yamlEncodePretty(v any) string {
	var buf bytes.Buffer

	enc := goyaml.NewEncoder(&buf)
	enc.SetIndent(2)

	if err := enc.Encode(v); err != nil {
		return ""
	}

	return strings.TrimSuffix(buf.String(), "\n")
}

// yamlUnmarshal is sigs.k8s.io/yaml's Unmarshal without options, as Helm calls it.
func yamlUnmarshal(data []byte, v any) error { return yaml.Unmarshal(data, v) }

// decodeMap makes a fromYaml-style function: the decoded map, or a map whose "Error" entry says
// why the text did not decode.
func decodeMap(unmarshal func([]byte, any) error) func(string) map[string]any {
	return func(s string) map[string]any {
		out := map[string]any{}
		if err := unmarshal([]byte(s), &out); err != nil {
			out["Error"] = err.Error()
		}

		return out
	}
}

// decodeList makes a fromYamlArray-style function: the decoded list, or a list of the error.
func decodeList(unmarshal func([]byte, any) error) func(string) []any {
	return func(s string) []any {
		out := []any{}
		if err := unmarshal([]byte(s), &out); err != nil {
			out = []any{err.Error()}
		}

		return out
	}
}

func tomlText(v any) (string, error) {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		return "", err
	}

	return buf.String(), nil
}

// tomlEncode is toToml: the encoding, or the error's text in its place (as Helm's).
func tomlEncode(v any) string {
	out, err := tomlText(v)
	if err != nil {
		return err.Error()
	}

	return out
}

func jsonText(v any) (string, error) {
	out, err := json.Marshal(v)

	return string(out), err
}

func jsonEncode(v any) string {
	out, err := jsonText(v)
	if err != nil {
		return ""
	}

	return out
}

// chartFiles is .Files of a template: the chart's non-template files by path, with the
// methods Helm gives them.
type chartFiles map[string][]byte

func newChartFiles(files []*common.File) chartFiles {
	out := make(chartFiles, len(files))
	for _, f := range files {
		out[f.Name] = f.Data
	}

	return out
}

// GetBytes returns the file's content, or no bytes.
func (f chartFiles) GetBytes(name string) []byte {
	if data, ok := f[name]; ok {
		return data
	}

	return []byte{}
}

// Get returns the file's content as a string.
func (f chartFiles) Get(name string) string { return string(f.GetBytes(name)) }

// Glob returns the files whose path matches the glob pattern ('/' separates; an invalid
// pattern matches everything).
func (f chartFiles) Glob(pattern string) chartFiles {
	g, err := glob.Compile(pattern, '/')
	if err != nil {
		g, _ = glob.Compile("**")
	}

	out := chartFiles{}

	for name, data := range f {
		if g.Match(name) {
			out[name] = data
		}
	}

	return out
}

// AsConfig returns the files as YAML of base name to content (a ConfigMap's data).
func (f chartFiles) AsConfig() string {
	if f == nil {
		return ""
	}

	m := make(map[string]string, len(f))
	for name, data := range f {
		m[path.Base(name)] = string(data)
	}

	return yamlEncode(m)
}

// AsSecrets returns the files as YAML of base name to base64 content (a Secret's data).
func (f chartFiles) AsSecrets() string {
	if f == nil {
		return ""
	}

	m := make(map[string]string, len(f))
	for name, data := range f {
		m[path.Base(name)] = base64.StdEncoding.EncodeToString(data)
	}

	return yamlEncode(m)
}

// Lines returns the lines of a file, without a final empty line.
func (f chartFiles) Lines(name string) []string {
	if f == nil || len(f[name]) == 0 {
		return []string{}
	}

	s := string(f[name])
	s = strings.TrimSuffix(s, "\n")

	return strings.Split(s, "\n")
}

// Templates are the parse trees of every template of a chart and its subcharts, by the
// template's full path ("cilium/templates/x.yaml"), each file's trees by template name (the
// file's own and those it defines). They do not depend on values and are never modified.
type Templates struct {
	trees map[string]map[string]*parse.Tree
	err   error // the first parse error; the render falls back to Helm's engine
}

// chartTemplate is one template file to parse.
type chartTemplate struct {
	path string
	data []byte
}

// collectTemplates lists the templates of c and its dependencies with their full paths.
func collectTemplates(c *chart.Chart, into []chartTemplate) []chartTemplate {
	for _, d := range c.Dependencies() {
		into = collectTemplates(d, into)
	}

	for _, t := range c.Templates {
		if t != nil {
			into = append(into, chartTemplate{path: path.Join(c.ChartFullPath(), t.Name), data: t.Data})
		}
	}

	return into
}

// Parse parses every template of c on all cores, taking the trees of templates that pre (may
// be nil) parsed already, when it has them for the same path and the very same bytes.
func Parse(c *chart.Chart, pre *Preparsed) *Templates {
	var early map[string]parsedFile
	if pre != nil {
		early = pre.wait()
	}

	tpls := collectTemplates(c, nil)
	files := make([]parsedFile, len(tpls))
	names := helmFuncNames()

	parallel.ForEach(len(tpls), func(i int) {
		if f, ok := early[tpls[i].path]; ok && sameBytes(f.data, tpls[i].data) {
			files[i] = f

			return
		}

		files[i] = parseFile(tpls[i].path, tpls[i].data, names)
	})

	p := &Templates{trees: make(map[string]map[string]*parse.Tree, len(tpls))}

	for i, t := range tpls {
		if files[i].err != nil && p.err == nil {
			p.err = files[i].err
		}

		p.trees[t.path] = files[i].trees
	}

	return p
}

// parsedFile is one template file and its parse.
type parsedFile struct {
	data  []byte
	trees map[string]*parse.Tree
	err   error
}

func parseFile(fullPath string, data []byte, names map[string]any) parsedFile {
	trees, err := parse.Parse(fullPath, string(data), "", "", names, templateBuiltins)
	for _, t := range trees {
		guardPrints(t.Root)
	}

	return parsedFile{data: data, trees: trees, err: err}
}

// sameBytes reports whether a and b are the same bytes in memory (not merely equal): a
// template file taken from a pre-parse must be the very file that was parsed.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || unsafe.SliceData(a) == unsafe.SliceData(b))
}

// Preparsed is the parse of a chart's own templates started while the chart was still being
// loaded (see Pipeline).
type Preparsed struct {
	done  chan struct{}
	files map[string]parsedFile // by full template path, once done is closed
}

// wait returns the pre-parsed files once they are parsed.
func (p *Preparsed) wait() map[string]parsedFile {
	<-p.done

	return p.files
}

// renderable is one template file of a render: its values and base path.
type renderable struct {
	vals     map[string]any
	basePath string
}

// chartMetadataMap is .Chart as Helm v4's engine gives it to templates: the chart's metadata
// as a map (chart.NewAccessor's MetadataAsMap, Go field names as keys) with IsRoot added.
func chartMetadataMap(c *chart.Chart) map[string]any {
	acc, err := helmchart.NewAccessor(c)
	if err != nil {
		return map[string]any{"IsRoot": c.IsRoot()}
	}

	m := acc.MetadataAsMap()
	if m == nil {
		m = map[string]any{}
	}

	m["IsRoot"] = acc.IsRoot()

	return m
}

// renderables returns the template files of c and its dependencies with the values each is
// executed with, as Helm's engine builds them: .Chart, .Files, .Release, .Capabilities,
// .Values (the chart's part of the values) and .Subcharts, one map per chart.
func renderables(c *chart.Chart, vals map[string]any, into map[string]renderable) map[string]any {
	subcharts := map[string]any{}
	next := map[string]any{
		"Chart":        chartMetadataMap(c),
		"Files":        newChartFiles(c.Files),
		"Release":      vals["Release"],
		"Capabilities": vals["Capabilities"],
		"Values":       make(common.Values),
		"Subcharts":    subcharts,
	}

	if c.IsRoot() {
		next["Values"] = vals["Values"]
	} else if v, err := common.Values(vals).Table("Values." + c.Name()); err == nil {
		next["Values"] = v
	}

	for _, d := range c.Dependencies() {
		subcharts[d.Name()] = renderables(d, next, into)
	}

	library := strings.EqualFold(c.Metadata.Type, "library")
	full := c.ChartFullPath()

	for _, t := range c.Templates {
		if t == nil || library && !strings.HasPrefix(filepath.Base(t.Name), "_") {
			continue
		}

		into[path.Join(full, t.Name)] = renderable{vals: next, basePath: path.Join(full, "templates")}
	}

	return next
}

// helmTemplateOrder sorts template paths as Helm's engine parses and executes them: deeper
// paths first, then by path, descending.
func helmTemplateOrder(paths []string) {
	slices.SortFunc(paths, func(a, b string) int {
		if ca, cb := strings.Count(a, "/"), strings.Count(b, "/"); ca != cb {
			return cb - ca
		}

		return strings.Compare(b, a)
	})
}

// LookupFunc is the signature of the template function lookup (apiVersion, kind, namespace,
// name).
type LookupFunc = func(apiVersion, kind, namespace, name string) (map[string]any, error)

// Execute renders the templates of c with renderValues (from chartutil.ToRenderValues) and
// parsed, the parse trees of c's templates, like Helm's Engine.Render, and returns the output
// by template path. A non-nil rec records the calls of functions that depend on randomness or
// the clock (see Recorder); a non-nil lookup replaces the lookup function that finds nothing.
//
// Execution is bounded by lim (see Limits; zero fields take the defaults) and stops when ctx
// ends.
//
// Any failure is returned wrapped in ErrGaveUp (the caller renders with Helm's engine), except
// those that are final because Helm's engine would die on the same chart or should not run
// for nothing: a cyclic value (ErrCyclicValue), a limit (a *LimitError) and the end of ctx.
func Execute(ctx context.Context, c *chart.Chart, renderValues common.Values, parsed *Templates, rec *Recorder, lookup LookupFunc, lim Limits) (rendered map[string]string, err error) {
	if parsed.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGaveUp, parsed.err)
	}

	defer func() {
		if r := recover(); r != nil {
			rendered, err = nil, fmt.Errorf("%w: panic: %v", ErrGaveUp, r)
		}
	}()

	tpls := map[string]renderable{}
	renderables(c, renderValues, tpls)

	paths := make([]string, 0, len(tpls))
	for p := range tpls {
		paths = append(paths, p)
	}

	helmTemplateOrder(paths)

	b := newBudget(ctx, lim)
	root := template.New("gotpl").Option("missingkey=zero")
	funcs := helmFuncs()
	if lookup != nil {
		funcs["lookup"] = lookup
	}

	if rec != nil {
		rec.wrap(funcs)
	}

	// The bounds wrap what the recorder wrapped, so both see every call.
	depth := map[string]int{} // per template name, shared by include and tpl as in Helm
	funcs["include"] = includeFunc(root, depth, b)
	funcs["tpl"] = tplFunc(root, depth, b)
	boundSizes(funcs, b)
	funcs[printGuardName] = printGuard(b)

	if rec != nil {
		rec.wrapInclude(funcs)
	}

	root.Funcs(funcs)

	for _, p := range paths {
		trees, ok := parsed.trees[p]
		if !ok {
			return nil, fmt.Errorf("%w: template %s was not parsed", ErrGaveUp, p)
		}

		// A file's own tree first, then its definitions: the order does not matter within a
		// file (the names differ), but a fixed order keeps renders reproducible.
		names := make([]string, 0, len(trees))
		for name := range trees {
			names = append(names, name)
		}

		slices.Sort(names)

		for _, name := range names {
			if _, err := root.AddParseTree(name, trees[name]); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrGaveUp, err)
			}
		}
	}

	rendered = make(map[string]string, len(paths))

	for _, p := range paths {
		if strings.HasPrefix(path.Base(p), "_") {
			continue
		}

		r := tpls[p]
		r.vals["Template"] = common.Values{"Name": p, "BasePath": r.basePath}

		if rec != nil {
			rec.start(p)
		}

		b.template = p
		w := &writer{b: b, perFile: true}

		if err := root.ExecuteTemplate(w, p, r.vals); err != nil {
			if Final(err) {
				return nil, err
			}

			return nil, fmt.Errorf("%w: %w", ErrGaveUp, err)
		}

		rendered[p] = strings.ReplaceAll(w.sb.String(), "<no value>", "")
	}

	return rendered, nil
}
