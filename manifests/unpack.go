package manifests

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"path"
	"runtime"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"
)

// utf8BOM is removed from the start of every file, as Helm's loader removes it.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// unpackArchive unpacks a chart archive into the files loader.LoadArchiveFiles gives, reading
// each file into a buffer of its size. With parse, it also parses the chart's templates as they
// come out of the archive, on GOMAXPROCS goroutines, while the rest is still being
// decompressed; pre is nil without parse.
//
// It handles the archives `helm package` writes: one top directory, regular files and
// directories, plain relative names. For anything else, and on any error, it returns ok=false
// (and stops its parsing): the caller unpacks with Helm's loader, which accepts or refuses the
// archive and words the error.
func unpackArchive(data []byte, parse bool) (files []*loader.BufferedFile, pre *preparsed, ok bool) {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, false
	}

	defer gz.Close()

	var pp *pipelinedParse
	if parse {
		pp = newPipelinedParse()
		defer func() {
			if !ok {
				pp.abandon()
			}
		}()
	}

	tr := tar.NewReader(gz)
	remaining := loader.MaxDecompressedChartSize

	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}

		if err != nil {
			return nil, nil, false
		}

		switch {
		case hd.Typeflag == tar.TypeXGlobalHeader || hd.Typeflag == tar.TypeXHeader || hd.FileInfo().IsDir():
			continue
		case hd.Typeflag != tar.TypeReg:
			return nil, nil, false
		}

		name, plain := plainArchiveName(hd.Name)
		if !plain || hd.Size < 0 || hd.Size >= remaining || hd.Size > loader.MaxDecompressedFileSize {
			return nil, nil, false
		}

		buf := make([]byte, hd.Size)
		if _, err := io.ReadFull(tr, buf); err != nil {
			return nil, nil, false
		}

		remaining -= hd.Size

		f := &loader.BufferedFile{Name: name, Data: bytes.TrimPrefix(buf, utf8BOM)}
		files = append(files, f)

		if pp != nil {
			pp.add(f)
		}
	}

	if len(files) == 0 {
		return nil, nil, false
	}

	if pp == nil {
		return files, nil, true
	}

	return files, pp.finish(), true
}

// plainArchiveName returns the name of a file in the chart for an archive entry name: the
// entry's path without its top directory, when the path is plain (slash-separated, relative,
// clean, inside the top directory, not a drive path); the name Helm's loader gives it then is
// the same.
func plainArchiveName(entry string) (string, bool) {
	if strings.ContainsRune(entry, '\\') {
		return "", false
	}

	top, rest, found := strings.Cut(entry, "/")
	if !found || top == "" || top == "Chart.yaml" || rest == "" || path.Clean(rest) != rest ||
		strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "..") || rest == "." {
		return "", false
	}

	if len(rest) >= 3 && rest[1] == ':' && rest[2] == '/' {
		c := rest[0]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return "", false
		}
	}

	return rest, true
}

// pipelinedParse parses the templates of an archive while it is unpacked. Template paths need
// the chart's name from Chart.yaml, which `helm package` writes first; templates seen before it
// wait for it.
type pipelinedParse struct {
	md      chart.Metadata
	named   bool                   // Chart.yaml was seen
	waiting []*loader.BufferedFile // templates seen before Chart.yaml
	jobs    chan parseJob

	mu      sync.Mutex
	files   map[string]parsedFile
	wg      sync.WaitGroup
	started bool
}

func newPipelinedParse() *pipelinedParse {
	return &pipelinedParse{files: map[string]parsedFile{}}
}

// parseJob is one template to parse, with its full path.
type parseJob struct {
	full string
	data []byte
}

// add takes the next file of the archive.
func (pp *pipelinedParse) add(f *loader.BufferedFile) {
	switch {
	case f.Name == "Chart.yaml":
		_ = yaml.Unmarshal(f.Data, &pp.md) // the loader reports a bad Chart.yaml
		pp.named = true
	case strings.HasPrefix(f.Name, "templates/"):
		pp.waiting = append(pp.waiting, f)
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
func (pp *pipelinedParse) flush() {
	for _, w := range pp.waiting {
		pp.jobs <- parseJob{full: path.Join(pp.md.Name, w.Name), data: w.Data}
	}

	pp.waiting = pp.waiting[:0]
}

// start starts the parsing goroutines once.
func (pp *pipelinedParse) start() {
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

// finish queues what is left and returns the parse, complete once its done channel closes.
func (pp *pipelinedParse) finish() *preparsed {
	if len(pp.waiting) > 0 { // no Chart.yaml: the loader refuses the chart; parse anyway
		pp.start()
		pp.flush()
	}

	p := &preparsed{done: make(chan struct{})}

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

// abandon stops the parsing goroutines of an archive that Helm's loader will unpack instead.
func (pp *pipelinedParse) abandon() {
	if pp.started {
		close(pp.jobs)
		pp.wg.Wait()
	}
}
