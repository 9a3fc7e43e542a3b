package source

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	chart "helm.sh/helm/v4/pkg/chart/v2"
)

// Chart is a loaded chart and the digest of what was loaded. The caller owns it; pass
// Chart.Chart (the embedded Helm chart) to manifests.Render or manifests.NewRenderer.
type Chart struct {
	*chart.Chart

	// Digest identifies the bytes the chart was loaded from, as "sha256:" and 64 lowercase hex
	// digits, so that a caller can pin a chart or tell whether it changed:
	//
	//   - a chart archive (a .tgz path or fs.FS file, LoadArchive's bytes, a repository or OCI
	//     chart): the sha256 of the archive's bytes, which is the digest of a repository
	//     index entry and of an OCI chart layer ("sha256sum chart.tgz" prints it);
	//   - a chart directory (a path or fs.FS directory): the sha256 of one line per loaded
	//     file, "HEX  NAME\n" with the sha256 of the file's bytes and its slash-separated name
	//     in the chart, the lines sorted by name (the lines `sha256sum` prints; Go's
	//     dirhash.Hash1 construction). Files .helmignore excludes are not part of it, a
	//     symbolic link counts as the file it points to, and modification times and
	//     permissions do not count: the same files give the same digest on every checkout.
	Digest string
}

// archiveDigest is the Digest of a chart archive.
func archiveDigest(data []byte) string {
	return "sha256:" + sha256Hex(data)
}

// fileSum is a loaded file of a chart directory and the sha256 of its bytes.
type fileSum struct {
	name string
	sum  [sha256.Size]byte
}

// dirDigest is the Digest of a chart directory whose loaded files are files.
func dirDigest(files []fileSum) string {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b fileSum) int { return strings.Compare(a.name, b.name) })
	h := sha256.New()
	for _, f := range sorted {
		fmt.Fprintf(h, "%x  %s\n", f.sum, f.name)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
