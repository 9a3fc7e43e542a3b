package manifests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartv2util "helm.sh/helm/v4/pkg/chart/v2/util"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/talospatch/talospatch/internal/helmengine"
)

// DefaultNamespace is the namespace a render uses when RenderOptions.Namespace is empty: the
// namespace of Talos's guide for Cilium.
const DefaultNamespace = "kube-system"

// Errors a render can wrap; branch on them with errors.Is.
var (
	// ErrIncompatibleKubeVersion: the chart's kubeVersion constraint rejects the Kubernetes
	// version of the render.
	ErrIncompatibleKubeVersion = errors.New("chart is incompatible with the kubernetes version")
	// ErrInvalidOptions: a render option is malformed (release name, namespace, version, ...).
	ErrInvalidOptions = errors.New("invalid render options")
	// ErrValues: values could not be parsed or merged, or do not meet the chart's schema.
	ErrValues = errors.New("invalid values")
	// ErrTemplate: the chart's templates failed to render or rendered malformed YAML.
	ErrTemplate = errors.New("chart templates failed")
)

// RenderOptions are the optional settings of Render. The zero value renders the chart with its
// default values into kube-system, like `helm template <chart-name> <chart> --namespace
// kube-system --include-crds`, with the Talos adjustments described on Render.
type RenderOptions struct {
	// ReleaseName is the Helm release name (.Release.Name). Empty: the chart's name, as in
	// Talos's guide (`helm template cilium cilium/cilium`).
	ReleaseName string
	// Namespace is the release namespace (.Release.Namespace). Empty: DefaultNamespace.
	Namespace string
	// NamespaceLabels are the labels of the Namespace object Render prepends when the namespace
	// is not kube-system and the chart does not create it. Cilium needs
	// CiliumNamespaceLabels() (privileged pod security) in such a namespace.
	NamespaceLabels map[string]string
	// APIVersions are extra API versions (.Capabilities.APIVersions), such as
	// "monitoring.coreos.com/v1" or "monitoring.coreos.com/v1/ServiceMonitor", added to Helm's
	// built-in set.
	APIVersions []string

	// Values are typed values, for example from CiliumValues. They have the lowest priority of
	// the overrides, like a first values file.
	Values map[string]any
	// ValuesFiles are the contents of YAML values files, merged in order over Values.
	ValuesFiles [][]byte
	// SetJSON are assignments whose values are JSON, in Helm's syntax ("a.b={\"c\":1}"),
	// applied in order after the values files.
	SetJSON []string
	// Set are assignments in Helm's strvals syntax ("a.b=c,list={x,y}"), applied in order
	// after SetJSON.
	Set []string
	// SetString are assignments like Set whose values stay strings, applied last.
	SetString []string

	// IsUpgrade renders with .Release.IsUpgrade set instead of .Release.IsInstall.
	IsUpgrade bool
	// SkipCRDs leaves out the files in the chart's crds/ directories (`helm template` without
	// --include-crds). By default they are included: Talos must create them.
	SkipCRDs bool
	// SkipHooks leaves out hook objects (`--no-hooks`). By default they are included after
	// the other objects, as `helm template` prints them; Talos creates them like any object.
	SkipHooks bool
	// SkipTests leaves out test hooks (`--skip-tests`).
	SkipTests bool
	// SkipSchemaValidation skips the chart's values.schema.json.
	SkipSchemaValidation bool
	// ClusterScopedKinds are extra cluster-scoped kinds, for custom resources whose
	// definitions are not part of the render. See Render for how scope is used.
	ClusterScopedKinds []schema.GroupKind

	// Previous are the objects of an earlier render of the same release (or the objects in
	// the cluster). The chart's `lookup` finds them, so charts that reuse what they find do
	// so, and key material of the new render that an object of the same kind, namespace and
	// name in Previous also carries at the same field is taken from Previous: a re-render of
	// an unchanged cluster changes nothing. See ReuseKeyMaterial.
	Previous []*unstructured.Unstructured
	// Deterministic makes Render fail with ErrNondeterministic when the output carries key
	// material (certificates, private keys) that is neither in Previous nor in the values:
	// material generated during the render, different on every run. Avoid it by making the
	// certificates in the cluster (CiliumOptions.CertificatesInCluster) or by passing the
	// previous render. The guarantee is for Objects and YAML: HelmOutput is the chart's output
	// before key material is reused, so it still differs between runs when the chart makes
	// certificates that it does not look up.
	//
	// It also fails, with a *NondeterministicCallsError naming the templates and functions,
	// when the output of a template depends on a function of randomness or the clock
	// (randAlphaNum, uuidv4, now, bcrypt, encryptAES, ...; see determinism.go): the templates
	// are executed a second time with another clock and other random values, and calls in
	// templates whose output then differs are reported (Cilium's charts call now only to
	// validate durations, which does not reach the output).
	Deterministic bool

	// Limits bound the render, so that a hostile chart ends with a *RenderError of kind
	// KindLimit instead of taking the process down. The zero value takes the defaults, which
	// are far above what real charts do.
	Limits RenderLimits
}

// RenderLimits bound what one render may do. A zero field takes its default. The defaults fit
// every real chart many times over: the shipped Cilium charts (1.11 to 1.20, Hubble relay and UI
// on) make at most 166 include and tpl calls, nested at most 2 deep, and produce at most 92 KB
// counting include results.
type RenderLimits struct {
	// Nesting is how many include and tpl calls may be active at once, all template names
	// together (Helm bounds only each name, to 1000, which two names including each other or
	// tpl calling itself through a value escape). Default 2,000.
	Nesting int
	// Calls is how many include and tpl calls one render may make. Default 1,000,000.
	Calls int64
	// Output is how many bytes one render may produce: what its templates write plus what
	// every include and tpl returns. One value a template prints, encodes, quotes, joins or
	// builds a list or dict of is refused beyond it too, before it is formatted. Default
	// 256 MiB.
	Output int64
	// TemplateOutput is how many bytes one template file may write. Default 64 MiB.
	TemplateOutput int64
	// Range bounds the functions that make something of a size they are given: the lists of
	// until and untilStep, seq, the count of repeat and of the rand* strings, the width of
	// indent and nindent. Default 1,048,576.
	Range int
}

// ErrRenderLimit is wrapped by the error of a render that went over one of its RenderLimits
// (a *RenderError of kind KindLimit, naming the template and the limit).
var ErrRenderLimit = helmengine.ErrLimit

// Rendered is the result of Render. The caller owns it.
type Rendered struct {
	// Chart and ChartVersion name the rendered chart.
	Chart, ChartVersion string
	// ReleaseName and Namespace are the release's.
	ReleaseName, Namespace string
	// KubernetesVersion is the Kubernetes version of the render, normalised ("v1.33.0").
	KubernetesVersion string
	// Values are the values the caller supplied, merged in priority order (not coalesced with
	// the chart's defaults): one values file that reproduces the render.
	Values map[string]any

	// Objects are the objects ordered as Talos applies them (SortForTalos), with the release
	// namespace written into namespaced objects that had none, the Namespace object prepended
	// when needed and key material reused from RenderOptions.Previous.
	Objects []*unstructured.Unstructured
	// YAML is EncodeObjects(Objects): the manifest for Talos.
	YAML []byte
	// HelmOutput is the chart's output exactly as `helm template` prints it (with "# Source:"
	// comments, in Helm's install order, hooks last), before the Talos adjustments and before
	// key material is reused.
	HelmOutput []byte
	// Notes is the rendered NOTES.txt of the chart (never part of the objects).
	Notes string

	// KeyMaterial lists every Secret and every other object that carries key material, in
	// Objects order.
	KeyMaterial []KeyMaterial
	// Reused lists the objects whose key material was taken from RenderOptions.Previous.
	Reused []ObjectRef
	// Warnings are problems that did not stop the render: a kind whose scope is unknown, a
	// given value that replaces a table of the chart's values or the other way round (Helm
	// only logs these).
	Warnings []string
}

// RenderErrorKind says which part of a render failed.
type RenderErrorKind int

// The kinds of [RenderError]. The values-file and set kinds come with RenderError.Index.
const (
	// KindChart: the chart itself (nil, a library chart, missing or broken dependencies).
	KindChart RenderErrorKind = iota + 1
	// KindReleaseName: RenderOptions.ReleaseName is not a valid release name.
	KindReleaseName
	// KindNamespace: RenderOptions.Namespace is not a DNS-1123 label.
	KindNamespace
	// KindKubernetesVersion: the Kubernetes version is missing, malformed, or outside the
	// chart's kubeVersion range.
	KindKubernetesVersion
	// KindPresets: the Cilium presets do not cover the chart's version.
	KindPresets
	// KindValuesFile: RenderOptions.ValuesFiles[Index] is not YAML.
	KindValuesFile
	// KindSetJSON, KindSet, KindSetString: RenderOptions.SetJSON[Index], Set[Index] or
	// SetString[Index] does not parse (Key is the key of its first assignment).
	KindSetJSON
	KindSet
	KindSetString
	// KindValues: the merged values do not coalesce with the chart's or fail its schema.
	KindValues
	// KindTemplate: a template failed to execute (Template names it when known).
	KindTemplate
	// KindOutput: the output of a template is not a stream of Kubernetes objects (Template
	// names it).
	KindOutput
	// KindDeterminism: RenderOptions.Deterministic and the output is not.
	KindDeterminism
	// KindEncode: the objects do not encode.
	KindEncode
	// KindLimit: the render went over one of its RenderLimits (Limit names it, Template the
	// template); the error wraps ErrRenderLimit.
	KindLimit
	// KindStopped: the render's context ended (the error wraps its cause: context.Canceled,
	// context.DeadlineExceeded or the caller's own, context.WithCancelCause); Template names the
	// template that was executing, if one was.
	KindStopped
)

var renderErrorKinds = [...]string{
	KindChart: "chart", KindReleaseName: "release name", KindNamespace: "namespace",
	KindKubernetesVersion: "kubernetes version", KindPresets: "cilium presets",
	KindValuesFile: "values file", KindSetJSON: "SetJSON", KindSet: "Set", KindSetString: "SetString",
	KindValues: "values", KindTemplate: "template", KindOutput: "template output",
	KindDeterminism: "deterministic", KindEncode: "encode", KindLimit: "limit", KindStopped: "stopped",
}

// String returns the kind's name, for example "values file" or "template".
func (k RenderErrorKind) String() string {
	if k > 0 && int(k) < len(renderErrorKinds) {
		return renderErrorKinds[k]
	}

	return fmt.Sprintf("RenderErrorKind(%d)", int(k))
}

// indexed reports whether the kind comes with an index.
func (k RenderErrorKind) indexed() bool {
	return k == KindValuesFile || k == KindSetJSON || k == KindSet || k == KindSetString
}

// RenderError is the error of a failed render: which chart, which part of the render (Kind,
// with Index for a values file or set expression) and the cause. Its fields are for programs
// (a provider maps them to its own attribute paths); set expressions are named by kind, index
// and key, never with their value, which may be a secret.
type RenderError struct {
	// Chart is "name version" of the chart.
	Chart string
	// Kind says what failed.
	Kind RenderErrorKind
	// Index is the index (0-based) of the failing values file or set expression within its
	// RenderOptions field, for the kinds KindValuesFile, KindSetJSON, KindSet and
	// KindSetString; 0 for the other kinds.
	Index int
	// Key is the key of the first assignment of a failing set expression ("" when the
	// expression has no KEY= before its first value).
	Key string
	// Template is the template file the failure is in, when known (KindTemplate,
	// KindOutput), for example "cilium/templates/cilium-configmap.yaml".
	Template string
	// Subject is the rejected option of KindReleaseName, KindNamespace and
	// KindKubernetesVersion (the release name, namespace or version as given).
	Subject string
	// Limit is the RenderLimits field a KindLimit render went over, for example "Output".
	Limit string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *RenderError) Error() string {
	return fmt.Sprintf("render chart %s: %s: %v", e.Chart, e.what(), e.Err)
}

// what names the failing part, for example `values file 2`, `Set[0] (key "a.b")` or
// `release name "X"`.
func (e *RenderError) what() string {
	switch {
	case e.Kind == KindValuesFile:
		return fmt.Sprintf("values file %d", e.Index)
	case e.Kind.indexed() && e.Key == "":
		return fmt.Sprintf("%s[%d] (no KEY= before the first value)", e.Kind, e.Index)
	case e.Kind.indexed():
		return fmt.Sprintf("%s[%d] (key %q)", e.Kind, e.Index, e.Key)
	case e.Subject != "":
		return fmt.Sprintf("%s %q", e.Kind, e.Subject)
	case e.Kind == KindLimit:
		return fmt.Sprintf("limit %s in %s", e.Limit, e.Template)
	case e.Template != "":
		return fmt.Sprintf("%s %s", e.Kind, e.Template)
	default:
		return e.Kind.String()
	}
}

// Unwrap returns the cause.
func (e *RenderError) Unwrap() error { return e.Err }

// Render renders a loaded chart offline, like `helm template` (client-only: no cluster, the
// chart's `lookup` sees only RenderOptions.Previous), for the Kubernetes version
// kubernetesVersion ("1.33.0" or "v1.33.0"), which is required: Helm's library default
// (v1.20) is rejected by current charts. The chart is not modified.
//
// The objects are what `helm template` prints, adjusted for Talos:
//   - namespaced objects without a namespace get the release namespace (Talos would put them
//     in "default"). Scope comes from a built-in table of Kubernetes and Cilium kinds, the
//     CustomResourceDefinitions of the render and RenderOptions.ClusterScopedKinds; kinds of
//     other groups are taken as namespaced, with a warning;
//   - when the namespace is not kube-system and no Namespace object for it is rendered, one
//     is prepended (`helm template` never emits it);
//   - they are ordered as Talos applies them (SortForTalos).
//
// A failed render returns a *RenderError and no partial result.
func Render(ctx context.Context, ch *chart.Chart, kubernetesVersion string, opts RenderOptions) (*Rendered, error) {
	return NewRenderer(ch).Render(ctx, kubernetesVersion, opts)
}

// Renderer renders one chart repeatedly. It keeps what does not depend on the options: the
// compiled values schemas, whose compilation is the largest part of a schema check. The chart
// must not be modified while the Renderer is in use. A Renderer is safe for concurrent use.
type Renderer struct {
	chart *chart.Chart

	schemasOnce sync.Once
	schemas     map[string]*compiledSchema

	parseOnce sync.Once
	parsed    *helmengine.Templates
	pre       *helmengine.Preparsed // templates parsed while the chart loaded (NewRendererFunc); may be nil
}

// NewRenderer returns a Renderer for ch. Problems with ch are reported by Render.
func NewRenderer(ch *chart.Chart) *Renderer {
	return &Renderer{chart: ch}
}

// compiledSchemas compiles the chart's values schemas on first use.
func (rd *Renderer) compiledSchemas() map[string]*compiledSchema {
	rd.schemasOnce.Do(func() {
		rd.schemas = map[string]*compiledSchema{}
		compileSchemas(rd.chart, rd.schemas)
	})

	return rd.schemas
}

// parsedTemplates parses the chart's templates on first use.
func (rd *Renderer) parsedTemplates() *helmengine.Templates {
	rd.parseOnce.Do(func() {
		rd.parsed = helmengine.Parse(rd.chart, rd.pre)
	})

	return rd.parsed
}

// Render renders the Renderer's chart; see the package-level Render.
func (rd *Renderer) Render(ctx context.Context, kubernetesVersion string, opts RenderOptions) (*Rendered, error) {
	ch := rd.chart
	if ch == nil || ch.Metadata == nil {
		return nil, &RenderError{Chart: "<nil>", Kind: KindChart, Err: fmt.Errorf("%w: chart is nil or has no metadata", ErrInvalidOptions)}
	}

	chartID := ch.Metadata.Name + " " + ch.Metadata.Version
	failAt := func(re RenderError, sentinel, err error) (*Rendered, error) {
		re.Chart, re.Err = chartID, sentinel
		if err != nil {
			re.Err = fmt.Errorf("%w: %w", sentinel, err)
		}

		return nil, &re
	}
	fail := func(kind RenderErrorKind, sentinel, err error) (*Rendered, error) {
		return failAt(RenderError{Kind: kind}, sentinel, err)
	}

	if ch.Metadata.Type == "library" {
		return fail(KindChart, ErrInvalidOptions, errors.New("library charts are not installable"))
	}

	releaseName := opts.ReleaseName
	if releaseName == "" {
		releaseName = ch.Metadata.Name
	}

	if err := chartv2util.ValidateReleaseName(releaseName); err != nil {
		return failAt(RenderError{Kind: KindReleaseName, Subject: releaseName}, ErrInvalidOptions, err)
	}

	namespace := opts.Namespace
	if namespace == "" {
		namespace = DefaultNamespace
	}

	if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
		return failAt(RenderError{Kind: KindNamespace, Subject: namespace}, ErrInvalidOptions, errors.New(strings.Join(errs, "; ")))
	}

	if kubernetesVersion == "" {
		return fail(KindKubernetesVersion, ErrInvalidOptions, errors.New("the kubernetes version is required (helm's library default v1.20 is refused by current charts)"))
	}

	kubeVersion, err := common.ParseKubeVersion(kubernetesVersion)
	if err != nil {
		return failAt(RenderError{Kind: KindKubernetesVersion, Subject: kubernetesVersion}, ErrInvalidOptions, err)
	}

	if c := ch.Metadata.KubeVersion; c != "" && !chartv2util.IsCompatibleRange(c, kubeVersion.String()) {
		return fail(KindKubernetesVersion, ErrIncompatibleKubeVersion,
			fmt.Errorf("chart requires kubeVersion %s, which Kubernetes %s does not meet", c, kubeVersion.String()))
	}

	// The values schemas do not depend on the values: their compilation, most of the cost of
	// the schema check, starts here, concurrently with merging and coalescing the values (the
	// check below waits for it). Every goroutine a render starts has ended when it returns,
	// failed or not: a failed render waits for the compilation (a few milliseconds), whose
	// result the Renderer keeps for its next render.
	var background sync.WaitGroup
	defer background.Wait()

	if !opts.SkipSchemaValidation {
		background.Go(func() { rd.compiledSchemas() })
	}

	vals, at, err := mergeValues(opts)
	if err != nil {
		return failAt(at, ErrValues, err)
	}

	userValues := deepCopyMap(vals)

	// The templates go through the parallel engine (internal/helmengine), whose parse starts
	// now, concurrently with the values. Previous objects without a namespace (helm template
	// output, say) are in the release namespace, as they would be in the cluster.
	background.Go(func() { rd.parsedTemplates() })

	previous := withNamespace(opts.Previous, namespace, newScopes(opts.ClusterScopedKinds, opts.Previous))

	caps := common.DefaultCapabilities.Copy()
	caps.KubeVersion = *kubeVersion
	caps.APIVersions = append(slices.Clone(caps.APIVersions), opts.APIVersions...)

	releaseOptions := common.ReleaseOptions{
		Name:      releaseName,
		Namespace: namespace,
		Revision:  1,
		IsInstall: !opts.IsUpgrade,
		IsUpgrade: opts.IsUpgrade,
	}

	// prepare makes the private copy of the chart that rendering modifies and the values of
	// the render, from vals (which it may modify). It is run again on fresh copies when the
	// parallel engine fails, since templates may have changed the values before failing.
	prepare := func(vals map[string]any) (*chart.Chart, common.Values, []string, *RenderError) {
		work := cloneChart(ch)

		// Helm logs value/table conflicts to the process's standard logger while it
		// coalesces; they become warnings, and the chart's side of each is dropped from the
		// private copy (the caller's value wins either way), so Helm has nothing to print.
		warnings := dropValueConflicts(work, userValues, "")

		if err := checkDependencies(work); err != nil {
			return nil, nil, nil, &RenderError{Chart: chartID, Kind: KindChart, Err: fmt.Errorf("%w: %w", ErrInvalidOptions, err)}
		}

		if err := chartv2util.ProcessDependencies(work, vals); err != nil {
			return nil, nil, nil, &RenderError{Chart: chartID, Kind: KindChart, Err: fmt.Errorf("%w: %w", ErrValues, err)}
		}

		renderValues, err := chartutil.ToRenderValuesWithSchemaValidation(work, vals, releaseOptions, caps, true)
		if err != nil {
			return nil, nil, nil, &RenderError{Chart: chartID, Kind: KindValues, Err: fmt.Errorf("%w: %w", ErrValues, err)}
		}

		return work, renderValues, warnings, nil
	}

	work, renderValues, warnings, rerr := prepare(vals)
	if rerr != nil {
		return nil, rerr
	}

	// The values are checked against the chart's schema concurrently with the template
	// execution (both only read; the schema check gets its own copy because templates may
	// `set` into values). The schema error wins, as in Helm, which validates first.
	schemaErr := make(chan error, 1)

	if opts.SkipSchemaValidation {
		schemaErr <- nil
	} else {
		coalesced, _ := renderValues["Values"].(common.Values)
		schemaValues := deepCopyMap(coalesced)
		schemaChart := work // work is replaced should the render start over

		background.Go(func() {
			schemaErr <- validateValues(schemaChart, schemaValues, rd.compiledSchemas())
		})
	}

	// A deterministic render records the calls of functions that depend on randomness or the
	// clock and executes the templates again to see which reach the output (determinism.go,
	// helmengine.Recorder). The second execution runs on fresh copies, concurrently with the
	// assembly and the Talos adjustments of the first one's output; calls delivers its result.
	var (
		rec   *helmengine.Recorder
		calls = make(chan []NondeterministicCall, 1)
	)

	if opts.Deterministic {
		rec = helmengine.NewRecorder()
	}

	// The templates run in this package's engine (internal/helmengine), within the limits and
	// the context; with Previous its lookup finds the previous objects as Helm's would.
	var (
		lookup   helmengine.LookupFunc
		provider engine.ClientProvider
		lim      = helmengine.Limits(opts.Limits)
	)

	if len(previous) > 0 {
		objects := newPreviousObjects(previous, opts.ClusterScopedKinds)
		provider, lookup = objects, previousLookup(objects)
	}

	execute := func(rec *helmengine.Recorder) (map[string]string, error) {
		w, v, _, perr := prepare(deepCopyMap(userValues))
		if perr != nil {
			return nil, perr
		}

		return helmengine.Execute(ctx, w, v, rd.parsedTemplates(), rec, lookup, lim)
	}

	files, err := helmengine.Execute(ctx, work, renderValues, rd.parsedTemplates(), rec, lookup, lim)

	switch {
	case helmengine.Final(err):
		// A limit, a cyclic value or the end of ctx: Helm's engine would die on the chart, or
		// run for nothing.
	case errors.Is(err, helmengine.ErrGaveUp):
		// Helm's engine, on fresh copies, says what failed in its own words. It runs at most
		// the work this engine did within the limits before the template failed; a template
		// that did not parse here does not parse there either (the two engines know the same
		// functions: helmengine.TestHelmFunctionNames), so Helm's engine stops at its parse.
		if work, renderValues, _, rerr = prepare(deepCopyMap(userValues)); rerr != nil {
			return nil, rerr
		}

		if provider != nil {
			files, err = engine.RenderWithClientProvider(work, renderValues, provider)
		} else {
			files, err = engine.Engine{}.Render(work, renderValues)
		}

		if rec != nil && err == nil {
			// Calls made before the parallel engine gave up cannot be checked: reported.
			calls <- reachingCalls(nil, helmengine.ErrGaveUp, rec, execute)
		}
	case rec != nil && err == nil:
		background.Go(func() { calls <- reachingCalls(files, nil, rec, execute) })
	}

	if serr := <-schemaErr; serr != nil {
		return fail(KindValues, ErrValues, serr)
	}

	var (
		limitErr *helmengine.LimitError
		stopped  *helmengine.StoppedError
	)

	switch {
	case errors.As(err, &limitErr):
		return nil, &RenderError{Chart: chartID, Kind: KindLimit, Template: limitErr.Template, Limit: limitErr.Limit, Err: err}
	case errors.As(err, &stopped):
		return nil, &RenderError{Chart: chartID, Kind: KindStopped, Template: stopped.Template, Err: err}
	case err != nil:
		return failAt(RenderError{Kind: KindTemplate, Template: failedTemplate(err)}, ErrTemplate, err)
	}

	out, err := assembleHelmOutput(work, files, opts)
	if err != nil {
		return failAt(RenderError{Kind: KindOutput, Template: failedTemplate(err)}, ErrTemplate, err)
	}

	objs := out.objects
	warnings = append(warnings, out.warnings...)

	r := &Rendered{
		Chart:             ch.Metadata.Name,
		ChartVersion:      ch.Metadata.Version,
		ReleaseName:       releaseName,
		Namespace:         namespace,
		KubernetesVersion: kubeVersion.String(),
		Values:            userValues,
		HelmOutput:        out.text,
		Notes:             out.notes,
	}

	objs, scopeWarnings := adjustForTalos(objs, namespace, opts)
	r.Warnings = append(warnings, scopeWarnings...)

	if len(previous) > 0 {
		// Key material the caller supplied in values (a new CA, say) wins over the previous.
		fromValues := knownMaterial(nil, userValues)
		objs, r.Reused = reuseKeyMaterial(objs, previous, func(s string) bool { return fromInputs(fromValues, s) })
	}

	r.Objects = SortForTalos(objs)
	r.KeyMaterial = FindKeyMaterial(r.Objects)

	if opts.Deterministic {
		if err := checkDeterministic(r.Objects, previous, userValues); err != nil {
			return fail(KindDeterminism, ErrNondeterministic, err)
		}

		if found := <-calls; len(found) > 0 {
			return fail(KindDeterminism, ErrNondeterministic, &NondeterministicCallsError{Calls: found})
		}
	}

	r.YAML, err = EncodeObjects(r.Objects)
	if err != nil {
		return fail(KindEncode, ErrTemplate, err)
	}

	return r, nil
}

// dropValueConflicts reports where the caller's values and the default values of c (a private
// copy) or of one of its subcharts disagree on being a table (map), and removes the default
// value at each such path from c. Helm keeps the caller's value in both cases but logs the
// conflict with the standard logger, which a library must not do; without the default there
// is no conflict to log and the coalesced values are the same.
func dropValueConflicts(c *chart.Chart, userValues map[string]any, prefix string) []string {
	warnings := valueConflicts(c.Values, userValues, prefix)

	for _, d := range c.Dependencies() {
		if sub, ok := userValues[d.Name()].(map[string]any); ok && d.Metadata != nil {
			warnings = append(warnings, dropValueConflicts(d, sub, prefix+d.Name()+".")...)
		}
	}

	return warnings
}

// valueConflicts reports, with sorted paths, where userValues and chartValues disagree on
// being a table, and deletes those entries of chartValues.
func valueConflicts(chartValues, userValues map[string]any, prefix string) []string {
	keys := make([]string, 0, len(userValues))
	for k := range userValues {
		keys = append(keys, k)
	}

	slices.Sort(keys)

	var out []string

	for _, k := range keys {
		uv, cv := userValues[k], chartValues[k]
		if uv == nil || cv == nil {
			continue
		}

		um, uIsMap := uv.(map[string]any)
		cm, cIsMap := cv.(map[string]any)

		switch {
		case uIsMap && cIsMap:
			out = append(out, valueConflicts(cm, um, prefix+k+".")...)
		case uIsMap:
			out = append(out, fmt.Sprintf("values: %s%s is a table in the given values but not in the chart's (%v); the given table is used", prefix, k, cv))
			delete(chartValues, k)
		case cIsMap:
			out = append(out, fmt.Sprintf("values: %s%s is a table in the chart's values but not in the given ones (%v); the given value replaces the table", prefix, k, uv))
			delete(chartValues, k)
		}
	}

	return out
}

// mergeValues merges the values of opts as Helm v4's CLI does: values files in order, every
// YAML document of each (maps merged, everything else replaced), then --set-json (KEY=JSON or a
// whole JSON object), --set and --set-string assignments. It
// returns the name of the failing step with an error.
func mergeValues(opts RenderOptions) (map[string]any, RenderError, error) {
	base := deepCopyMap(opts.Values)
	if base == nil {
		base = map[string]any{}
	}

	for i, file := range opts.ValuesFiles {
		// Every YAML document of a file, merged in order, as Helm v4 reads -f files.
		current, err := loader.LoadValues(bytes.NewReader(file))
		if err != nil {
			return nil, RenderError{Kind: KindValuesFile, Index: i}, err
		}

		base = loader.MergeMaps(base, current)
	}

	for i, s := range opts.SetJSON {
		// Helm v4 takes a whole JSON object as well as KEY=JSON assignments.
		if t := strings.TrimSpace(s); t != "" && t[0] == '{' {
			var obj map[string]any
			if err := json.Unmarshal([]byte(t), &obj); err != nil {
				return nil, setAt(KindSetJSON, i, s), errors.New("not a valid JSON object (the value is not repeated here)")
			}

			base = loader.MergeMaps(base, obj)

			continue
		}

		if err := strvals.ParseJSON(s, base); err != nil {
			return nil, setAt(KindSetJSON, i, s), setError(err, `KEY=JSON[,KEY=JSON...], for example a.b={"c":1}`)
		}
	}

	for i, s := range opts.Set {
		if err := strvals.ParseInto(s, base); err != nil {
			return nil, setAt(KindSet, i, s), setError(err, setSyntax)
		}
	}

	for i, s := range opts.SetString {
		if err := strvals.ParseIntoString(s, base); err != nil {
			return nil, setAt(KindSetString, i, s), setError(err, setSyntax)
		}
	}

	return base, RenderError{}, nil
}

// setAt names a set expression that failed to parse without its value, which may be a
// secret: the kind (field), the index and the key of its first assignment ("" when the
// expression has no "=" before its first ",").
func setAt(kind RenderErrorKind, i int, s string) RenderError {
	at := RenderError{Kind: kind, Index: i}
	if end := strings.IndexAny(s, "=,"); end >= 0 && s[end] == '=' {
		at.Key = s[:end]
	}

	return at
}

// quotedInSetError finds the quoted parts of a strvals error (keys, indices and values it
// echoes).
var quotedInSetError = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)

// setSyntax describes Helm's --set syntax for the errors of set expressions.
const setSyntax = "KEY=VALUE[,KEY=VALUE...], for example a.b=c,list={x,y},items[0].name=n"

// setError is the cause of a failed set expression: strvals' message with what it quotes of
// the expression left out (a value given without its key would show), and the syntax to use.
// It does not wrap strvals' error, whose message may hold the value.
func setError(err error, syntax string) error {
	msg := quotedInSetError.ReplaceAllString(err.Error(), `"..."`)

	return fmt.Errorf("%s (expression not shown: its value may be secret); write %s", msg, syntax)
}

// deepCopyMap copies the maps and slices of a values tree; other values are shared (they are
// immutable scalars in values decoded from YAML or JSON).
func deepCopyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}

	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}

	return out
}

func deepCopyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return deepCopyMap(v)
	case common.Values:
		return deepCopyMap(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopyValue(e)
		}

		return out
	case []string:
		return slices.Clone(v)
	default:
		return v
	}
}

// cloneChart copies what rendering modifies (dependency lists, values, dependency metadata),
// so the caller's chart stays untouched. Templates and files are shared: nothing writes them.
func cloneChart(c *chart.Chart) *chart.Chart {
	cp := *c
	cp.Values = deepCopyMap(c.Values)

	if c.Metadata != nil {
		md := *c.Metadata

		md.Dependencies = make([]*chart.Dependency, len(c.Metadata.Dependencies))
		for i, d := range c.Metadata.Dependencies {
			dc := *d
			dc.Tags = slices.Clone(d.Tags)
			dc.ImportValues = slices.Clone(d.ImportValues)
			md.Dependencies[i] = &dc
		}

		if c.Metadata.Dependencies == nil {
			md.Dependencies = nil
		}

		cp.Metadata = &md
	}

	deps := c.Dependencies()
	clones := make([]*chart.Chart, len(deps))

	for i, d := range deps {
		clones[i] = cloneChart(d)
	}

	cp.SetDependencies(clones...)

	return &cp
}

// checkDependencies fails when a dependency of Chart.yaml is missing from charts/, as
// `helm template` does.
func checkDependencies(c *chart.Chart) error {
	var missing []string

	for _, r := range c.Metadata.Dependencies {
		if !slices.ContainsFunc(c.Dependencies(), func(d *chart.Chart) bool { return d.Name() == r.Name }) {
			missing = append(missing, r.Name)
		}
	}

	if len(missing) > 0 {
		return fmt.Errorf("found in Chart.yaml, but missing in charts/ directory: %s", strings.Join(missing, ", "))
	}

	return nil
}

// withNamespace returns objs with namespace written into namespaced objects that have none
// (copies; objs is not modified).
func withNamespace(objs []*unstructured.Unstructured, namespace string, sc scopes) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(objs))

	for i, obj := range objs {
		out[i] = obj

		if clusterScoped, _ := sc.clusterScoped(obj.GroupVersionKind().GroupKind()); !clusterScoped && obj.GetNamespace() == "" {
			out[i] = obj.DeepCopy()
			out[i].SetNamespace(namespace)
		}
	}

	return out
}

// adjustForTalos writes the release namespace into namespaced objects without one and
// prepends the release Namespace object when Talos would need it. Objects are cloned before
// they are changed.
func adjustForTalos(objs []*unstructured.Unstructured, namespace string, opts RenderOptions) ([]*unstructured.Unstructured, []string) {
	sc := newScopes(opts.ClusterScopedKinds, objs)

	var warnings []string

	unknown := map[schema.GroupKind]bool{}
	hasNamespace := false
	out := make([]*unstructured.Unstructured, 0, len(objs)+1)

	for _, obj := range objs {
		gvk := obj.GroupVersionKind()
		if talosRank(gvk) == 0 && gvk.Group == "" && obj.GetName() == namespace {
			hasNamespace = true
		}

		clusterScoped, known := sc.clusterScoped(gvk.GroupKind())
		if !known && !unknown[gvk.GroupKind()] {
			unknown[gvk.GroupKind()] = true
			warnings = append(warnings, fmt.Sprintf("scope of kind %s is unknown; %s objects are taken as namespaced (set RenderOptions.ClusterScopedKinds if it is cluster-scoped)", gvk.GroupKind(), gvk.Kind))
		}

		if !clusterScoped && obj.GetNamespace() == "" {
			obj = obj.DeepCopy()
			obj.SetNamespace(namespace)
		}

		out = append(out, obj)
	}

	if namespace != DefaultNamespace && !hasNamespace {
		ns := &unstructured.Unstructured{Object: map[string]any{}}
		ns.SetAPIVersion("v1")
		ns.SetKind("Namespace")
		ns.SetName(namespace)

		if len(opts.NamespaceLabels) > 0 {
			ns.SetLabels(opts.NamespaceLabels)
		}

		out = append([]*unstructured.Unstructured{ns}, out...)
	}

	return out, warnings
}
