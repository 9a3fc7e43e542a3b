package manifests

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	release "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/talospatch/talospatch/internal/parallel"
)

// notesSuffix ends the path of a chart's NOTES.txt.
const notesSuffix = "NOTES.txt"

// helmDoc is one document of the rendered templates, parsed once.
type helmDoc struct {
	path    string
	content string
	kind    string
	obj     *unstructured.Unstructured // nil for a document without content
	untyped bool                       // obj has no apiVersion or no kind: printed, not an object
	test    bool                       // a test hook
}

// helmHookEvents are the hook events Helm knows; a document with another hook is dropped, as
// Helm drops it.
func helmHookEvent(s string) (release.HookEvent, bool) {
	switch e := release.HookEvent(s); e {
	case release.HookPreInstall, release.HookPostInstall, release.HookPreDelete, release.HookPostDelete,
		release.HookPreUpgrade, release.HookPostUpgrade, release.HookPreRollback, release.HookPostRollback,
		release.HookTest:
		return e, true
	case "test-success":
		return release.HookTest, true
	default:
		return "", false
	}
}

// helmOutput is what `helm template` prints, with the objects of it in the same order.
type helmOutput struct {
	text    []byte
	notes   string
	objects []*unstructured.Unstructured
	// warnings name the documents Helm prints that are not objects (no apiVersion or kind).
	warnings []string
}

// assembleHelmOutput builds the text `helm template` prints from the rendered files, with the
// semantics of Helm's releaseutil.SortManifests (files by path, partials and empty files
// skipped, hooks split off, a stable sort by releaseutil.InstallOrder with unknown kinds last
// by name) and of the template command (CRDs of crds/ directories first unless skipped, then
// the manifests, then hooks unless skipped). Every document is parsed once, for the sort and
// for the objects.
func assembleHelmOutput(c *chart.Chart, files map[string]string, opts RenderOptions) (helmOutput, error) {
	var notes strings.Builder

	paths := make([]string, 0, len(files))

	for name, content := range files {
		if strings.HasSuffix(name, notesSuffix) {
			// Only the top-level chart's notes, as Helm does without --render-subchart-notes.
			if name == path.Join(c.Name(), "templates", notesSuffix) {
				notes.WriteString(content)
			}

			continue
		}

		if strings.HasPrefix(path.Base(name), "_") || strings.TrimSpace(content) == "" {
			continue
		}

		paths = append(paths, name)
	}

	slices.Sort(paths)

	// Every document is parsed on its own (concurrently), then classified in order.
	type piece struct {
		path    string
		index   int
		content string
		obj     *unstructured.Unstructured
		err     error
	}

	var pieces []piece

	for _, p := range paths {
		for i, content := range splitManifests(files[p]) {
			pieces = append(pieces, piece{path: p, index: i, content: content})
		}
	}

	parallel.ForEach(len(pieces), func(i int) {
		// Parsed as printed: with the newline the output adds after the trimmed document.
		pieces[i].obj, pieces[i].err = parseMapping([]byte(pieces[i].content + "\n"))
	})

	var (
		generic, hooks []helmDoc
		warnings       []string
	)

	for _, pc := range pieces {
		if pc.err != nil {
			return helmOutput{}, &templateOutputError{path: pc.path, err: fmt.Errorf("YAML parse error on %s (document %d): %w", pc.path, pc.index, pc.err)}
		}

		obj := pc.obj
		doc := helmDoc{path: pc.path, content: pc.content, obj: obj}

		// Helm prints a mapping without apiVersion or kind (a template that dumps values,
		// say) like any document; it is not an object Talos or kubectl could apply, so it
		// stays out of the objects, with a warning naming the template.
		if obj != nil {
			if missing := missingTypeMeta(obj); missing != "" {
				doc.untyped = true
				warnings = append(warnings, fmt.Sprintf("%s (document %d): %s is missing; Helm prints the document, but it is not a Kubernetes object and is left out of the objects", pc.path, pc.index, missing))
			}

			doc.kind = obj.GetKind()
		}

		hookAnnotation, isHook := "", false
		if obj != nil {
			hookAnnotation, isHook = obj.GetAnnotations()[release.HookAnnotation]
		}

		if !isHook {
			generic = append(generic, doc)

			continue
		}

		known := true

		for _, e := range strings.Split(hookAnnotation, ",") {
			event, ok := helmHookEvent(strings.ToLower(strings.TrimSpace(e)))
			if !ok {
				known = false

				break
			}

			doc.test = doc.test || event == release.HookTest
		}

		if known {
			hooks = append(hooks, doc)
		}
	}

	sortByInstallOrder(generic)
	sortByInstallOrder(hooks)

	var (
		manifest bytes.Buffer
		objs     []*unstructured.Unstructured
	)

	if !opts.SkipCRDs {
		for _, crd := range c.CRDObjects() {
			fmt.Fprintf(&manifest, "---\n# Source: %s\n%s\n", crd.Filename, string(crd.File.Data))

			crdObjs, err := ParseObjects(crd.File.Data)
			if err != nil {
				return helmOutput{}, &templateOutputError{path: crd.Filename, err: fmt.Errorf("%s: %w", crd.Filename, err)}
			}

			objs = append(objs, crdObjs...)
		}
	}

	for _, d := range generic {
		fmt.Fprintf(&manifest, "---\n# Source: %s\n%s\n", d.path, d.content)

		if d.obj != nil && !d.untyped {
			objs = append(objs, d.obj)
		}
	}

	var out bytes.Buffer

	out.WriteString(strings.TrimSpace(manifest.String()))
	out.WriteByte('\n')

	if !opts.SkipHooks {
		for _, d := range hooks {
			if opts.SkipTests && d.test {
				continue
			}

			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", d.path, d.content)

			if d.obj != nil && !d.untyped {
				objs = append(objs, d.obj)
			}
		}
	}

	return helmOutput{text: out.Bytes(), notes: notes.String(), objects: objs, warnings: warnings}, nil
}

// templateOutputError is an output of a template that is not a stream of YAML documents.
type templateOutputError struct {
	path string
	err  error
}

func (e *templateOutputError) Error() string { return e.err.Error() }
func (e *templateOutputError) Unwrap() error { return e.err }

// failedTemplate returns the template a render error is in, when known: the path of an
// output error, the template this package's engine was executing when the context ended, or
// the template Helm's or this package's engine names in an execution error
// ("execution error at (chart/templates/x.yaml:3:4)", "template: chart/templates/x.yaml:3:4:
// ...", Helm v4's "chart/templates/x.yaml:3:4\n  executing ...").
func failedTemplate(err error) string {
	var oe *templateOutputError
	if errors.As(err, &oe) {
		return oe.path
	}

	if err == nil {
		return ""
	}

	if m := templateInError.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}

	return ""
}

// templateInError finds the first template file named with a line number in an error text.
var templateInError = regexp.MustCompile(`([A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*/templates/[^\s:()"]+):\d+`)

// splitManifests splits a rendered template file into documents exactly as Helm v4's
// releaseutil.SplitManifests does (a regexp, (?m)^---[ \t]*, the slowest part of Helm's sort),
// in order: leading Unicode space of the text is dropped; a separator is "---" at the start of
// a line with the spaces and tabs after it; pieces that are only space are dropped, the others
// lose their leading space and keep their trailing space (Helm v3 trimmed both ends).
func splitManifests(text string) []string {
	text = strings.TrimLeftFunc(text, unicode.IsSpace)

	var docs []string

	add := func(piece string) {
		if strings.TrimSpace(piece) != "" {
			docs = append(docs, strings.TrimLeftFunc(piece, unicode.IsSpace))
		}
	}

	// sepEnd is the end of the separator match at line start p: "---" and the spaces and tabs
	// after it (a newline is not part of it).
	sepEnd := func(p int) int {
		p += 3
		for p < len(text) && (text[p] == ' ' || text[p] == '\t') {
			p++
		}

		return p
	}

	start := 0
	if strings.HasPrefix(text, "---") {
		start = sepEnd(0)
	}

	for {
		j := strings.Index(text[start:], "\n---")
		if j < 0 {
			add(text[start:])

			return docs
		}

		j += start + 1 // the line start
		add(text[start:j])
		start = sepEnd(j)
	}
}

// sortByInstallOrder sorts docs stably by Helm's install order of kinds; unknown kinds go
// last, ordered by kind name.
func sortByInstallOrder(docs []helmDoc) {
	rank := make(map[string]int, len(releaseutil.InstallOrder))
	for i, k := range releaseutil.InstallOrder {
		rank[k] = i
	}

	slices.SortStableFunc(docs, func(a, b helmDoc) int {
		ra, aok := rank[a.kind]
		rb, bok := rank[b.kind]

		switch {
		case aok && bok:
			return ra - rb
		case aok:
			return -1
		case bok:
			return 1
		default:
			return strings.Compare(a.kind, b.kind)
		}
	})
}
