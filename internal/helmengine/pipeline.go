package helmengine

import (
	"path"
	"runtime"
	"strings"
	"sync"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"sigs.k8s.io/yaml"
)

// Pipeline parses the templates of a chart while the chart is loaded: the loader hands it
// every file as it comes out of an archive (Add), and the templates are parsed on GOMAXPROCS
// goroutines while the rest is still being decompressed. Template paths need the chart's name
// from Chart.yaml, which `helm package` writes first; templates seen before it wait for it.
//
// Add is called from one goroutine; then either Finish (the load succeeded) or Abandon (it
// failed), exactly once.
type Pipeline struct {
	md      chart.Metadata
	named   bool          // Chart.yaml was seen
	waiting []pendingFile // templates seen before Chart.yaml
	jobs    chan parseJob

	mu      sync.Mutex
	files   map[string]parsedFile
	wg      sync.WaitGroup
	started bool
}

// NewPipeline returns a Pipeline that has parsed nothing yet.
func NewPipeline() *Pipeline {
	return &Pipeline{files: map[string]parsedFile{}}
}

// pendingFile is a template seen before Chart.yaml.
type pendingFile struct {
	name string
	data []byte
}

// parseJob is one template to parse, with its full path.
type parseJob struct {
	full string
	data []byte
}

// Add takes the next file of the chart: name is its path in the chart ("Chart.yaml",
// "templates/x.yaml"), data its bytes, which must be the very slice the loaded chart holds
// for the parse to be used. Files other than Chart.yaml and the chart's own templates are
// ignored.
func (pp *Pipeline) Add(name string, data []byte) {
	switch {
	case name == "Chart.yaml":
		_ = yaml.Unmarshal(data, &pp.md) // the loader reports a bad Chart.yaml
		pp.named = true
	case strings.HasPrefix(name, "templates/"):
		pp.waiting = append(pp.waiting, pendingFile{name: name, data: data})
	default:
		return
	}

	if !pp.named || len(pp.waiting) == 0 {
		return
	}

	pp.start()
	pp.flush()
}

// flush queues the waiting templates under the chart's name as known now.
func (pp *Pipeline) flush() {
	for _, w := range pp.waiting {
		pp.jobs <- parseJob{full: path.Join(pp.md.Name, w.name), data: w.data}
	}

	pp.waiting = pp.waiting[:0]
}

// start starts the parsing goroutines once.
func (pp *Pipeline) start() {
	if pp.started {
		return
	}

	pp.started = true
	pp.jobs = make(chan parseJob, 256)
	names := helmFuncNames()

	for range runtime.GOMAXPROCS(0) {
		pp.wg.Go(func() {
			for job := range pp.jobs {
				parsed := parseFile(job.full, job.data, names)

				pp.mu.Lock()
				pp.files[job.full] = parsed
				pp.mu.Unlock()
			}
		})
	}
}

// Finish queues what is left and returns the parse, which Parse waits for.
func (pp *Pipeline) Finish() *Preparsed {
	if len(pp.waiting) > 0 { // no Chart.yaml: the loader refuses the chart; parse anyway
		pp.start()
		pp.flush()
	}

	p := &Preparsed{done: make(chan struct{})}

	go func() {
		defer close(p.done)

		if pp.started {
			close(pp.jobs)
			pp.wg.Wait()
		}

		p.files = pp.files
	}()

	return p
}

// Abandon stops the parsing goroutines and waits for them, for a load that failed: no
// goroutine outlives it.
func (pp *Pipeline) Abandon() {
	if pp.started {
		close(pp.jobs)
		pp.wg.Wait()
	}
}
