package source

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	helmarchive "helm.sh/helm/v4/pkg/chart/loader/archive"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"sigs.k8s.io/yaml"
)

// utf8BOM is removed from the start of every file, as Helm's loader removes it.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// unpackArchive is unpackArchiveLimits within the default sourceLimits, any error reported as
// ok=false.
func unpackArchive(data []byte, feed func(name string, data []byte)) (files []*helmarchive.BufferedFile, ok bool) {
	files, ok, err := unpackArchiveLimits(data, feed, defaultLimits())
	if err != nil {
		return nil, false
	}
	return files, ok
}

// unpackArchiveLimits unpacks a chart archive into the files helmarchive.LoadArchiveFiles gives,
// reading each file into a buffer of its size. A non-nil feed is called with every file as it
// comes out of the archive (the same bytes the file holds), so that the chart's templates can
// be parsed while the rest is still being decompressed (source.NewRendererFunc).
//
// It handles the archives `helm package` writes: one top directory, regular files and
// directories, plain relative names. For anything else, and on any error, it returns ok=false:
// the caller unpacks with Helm's loader, which accepts or refuses the archive and words the
// error (the files fed so far are then not the chart's: their parse goes unused). An archive
// over the number of entries or the unpacked size of lim is refused with a *LimitError, as
// soon as the limit is passed.
func unpackArchiveLimits(data []byte, feed func(name string, data []byte), lim sourceLimits) (files []*helmarchive.BufferedFile, ok bool, err error) {
	gz, gzErr := gzip.NewReader(bytes.NewReader(data))
	if gzErr != nil {
		return nil, false, nil
	}

	defer gz.Close()

	tr := tar.NewReader(gz)
	remaining := helmarchive.MaxDecompressedChartSize
	entries, size := lim.filesUsed, lim.sizeUsed

	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}

		if err != nil {
			return nil, false, nil
		}

		if err := lim.stopped(); err != nil {
			return nil, false, err
		}

		if entries++; entries > lim.files {
			return nil, false, lim.filesError("archive entries", 0)
		}

		if hd.Size > 0 {
			if size += hd.Size; size > lim.chartSize {
				return nil, false, lim.sizeError("unpacked chart", 0)
			}
		}

		switch {
		case hd.Typeflag == tar.TypeXGlobalHeader || hd.Typeflag == tar.TypeXHeader || hd.FileInfo().IsDir():
			continue
		case hd.Typeflag != tar.TypeReg:
			return nil, false, nil
		}

		name, plain := plainArchiveName(hd.Name)
		if !plain || hd.Size < 0 || hd.Size >= remaining {
			return nil, false, nil
		}

		buf := make([]byte, hd.Size)
		if _, err := io.ReadFull(tr, buf); err != nil {
			return nil, false, nil
		}

		remaining -= hd.Size

		f := &helmarchive.BufferedFile{Name: name, ModTime: hd.ModTime, Data: bytes.TrimPrefix(buf, utf8BOM)}
		files = append(files, f)

		if feed != nil {
			feed(f.Name, f.Data)
		}
	}

	if len(files) == 0 {
		return nil, false, nil
	}

	return files, true, nil
}

// scanArchive counts and measures the entries of an archive that Helm's loader is to unpack,
// without keeping them, and refuses it when it is over lim. Errors of the archive itself are
// left to Helm's loader to word.
func scanArchive(data []byte, lim sourceLimits) error {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil
	}

	defer gz.Close()

	tr := tar.NewReader(gz)
	entries, size := lim.filesUsed, lim.sizeUsed

	for {
		hd, err := tr.Next()
		if err != nil {
			return nil
		}

		if entries++; entries > lim.files {
			return lim.filesError("archive entries", 0)
		}

		if hd.Size > 0 {
			if size += hd.Size; size > lim.chartSize {
				return lim.sizeError("unpacked chart", 0)
			}
		}
	}
}

// loadFiles is Helm v4's loader.LoadFiles, line by line, without the warnings it writes to the
// standard logger (for requirements.yaml and requirements.lock in charts of apiVersion v2),
// with subchart archives loaded by this package within lim (a chart and its subcharts share
// the sourceLimits), and with subcharts added in the order of their names (Helm's order is random).
func loadFiles(files []*helmarchive.BufferedFile, lim sourceLimits) (*chart.Chart, error) {
	c := new(chart.Chart)
	subcharts := make(map[string][]*helmarchive.BufferedFile)

	for _, f := range files {
		c.Raw = append(c.Raw, &common.File{Name: f.Name, ModTime: f.ModTime, Data: f.Data})
		if f.Name == "Chart.yaml" {
			if c.Metadata == nil {
				c.Metadata = new(chart.Metadata)
			}
			if err := yaml.Unmarshal(f.Data, c.Metadata); err != nil {
				return c, fmt.Errorf("cannot load Chart.yaml: %w", err)
			}
			if c.Metadata.APIVersion == "" {
				c.Metadata.APIVersion = chart.APIVersionV1
			}
			c.ModTime = f.ModTime
		}
	}

	for _, f := range files {
		switch {
		case f.Name == "Chart.yaml":
			continue
		case f.Name == "Chart.lock":
			c.Lock = new(chart.Lock)
			if err := yaml.Unmarshal(f.Data, &c.Lock); err != nil {
				return c, fmt.Errorf("cannot load Chart.lock: %w", err)
			}
		case f.Name == "values.yaml":
			values, err := loader.LoadValues(bytes.NewReader(f.Data))
			if err != nil {
				return c, fmt.Errorf("cannot load values.yaml: %w", err)
			}
			c.Values = values
		case f.Name == "values.schema.json":
			c.Schema = f.Data
			c.SchemaModTime = f.ModTime
		case f.Name == "requirements.yaml":
			if c.Metadata == nil {
				c.Metadata = new(chart.Metadata)
			}
			// Helm logs "Warning: Dependencies are handled in Chart.yaml since apiVersion
			// \"v2\"" here for charts other than v1.
			if err := yaml.Unmarshal(f.Data, c.Metadata); err != nil {
				return c, fmt.Errorf("cannot load requirements.yaml: %w", err)
			}
			if c.Metadata.APIVersion == chart.APIVersionV1 {
				c.Files = append(c.Files, &common.File{Name: f.Name, ModTime: f.ModTime, Data: f.Data})
			}
		case f.Name == "requirements.lock":
			c.Lock = new(chart.Lock)
			if err := yaml.Unmarshal(f.Data, &c.Lock); err != nil {
				return c, fmt.Errorf("cannot load requirements.lock: %w", err)
			}
			if c.Metadata == nil {
				c.Metadata = new(chart.Metadata)
			}
			// Helm logs "Warning: Dependency locking is handled in Chart.lock since
			// apiVersion \"v2\"" here for charts other than v1.
			if c.Metadata.APIVersion == chart.APIVersionV1 {
				c.Files = append(c.Files, &common.File{Name: f.Name, ModTime: f.ModTime, Data: f.Data})
			}
		case strings.HasPrefix(f.Name, "templates/"):
			c.Templates = append(c.Templates, &common.File{Name: f.Name, ModTime: f.ModTime, Data: f.Data})
		case strings.HasPrefix(f.Name, "charts/"):
			if filepath.Ext(f.Name) == ".prov" {
				c.Files = append(c.Files, &common.File{Name: f.Name, ModTime: f.ModTime, Data: f.Data})
				continue
			}
			fname := strings.TrimPrefix(f.Name, "charts/")
			cname, _, _ := strings.Cut(fname, "/")
			subcharts[cname] = append(subcharts[cname], &helmarchive.BufferedFile{Name: fname, ModTime: f.ModTime, Data: f.Data})
		default:
			c.Files = append(c.Files, &common.File{Name: f.Name, ModTime: f.ModTime, Data: f.Data})
		}
	}

	if c.Metadata == nil {
		return c, errors.New("Chart.yaml file is missing") // Helm's message, capital letter included
	}

	if err := c.Validate(); err != nil {
		return c, err
	}

	sub := lim
	sub.filesUsed += int64(len(files))
	for _, f := range files {
		sub.sizeUsed += int64(len(f.Data))
	}

	for _, n := range slices.Sorted(maps.Keys(subcharts)) {
		if err := lim.stopped(); err != nil {
			return c, err
		}

		files := subcharts[n]
		var sc *chart.Chart
		var err error
		switch {
		case strings.IndexAny(n, "_.") == 0:
			continue
		case filepath.Ext(n) == ".tgz":
			file := files[0]
			if file.Name != n {
				return c, fmt.Errorf("error unpacking subchart tar in %s: expected %s, got %s", c.Name(), n, file.Name)
			}
			sc, err = loadArchiveFeeding(sub.ctx, file.Data, nil, sub)
		default:
			buff := make([]*helmarchive.BufferedFile, 0, len(files))
			for _, f := range files {
				parts := strings.SplitN(f.Name, "/", 2)
				if len(parts) < 2 {
					continue
				}
				f.Name = parts[1]
				buff = append(buff, f)
			}
			sc, err = loadFiles(buff, sub)
		}

		if err != nil {
			return c, fmt.Errorf("error unpacking subchart %s in %s: %w", n, c.Name(), err)
		}
		c.AddDependency(sc)
	}

	return c, nil
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
