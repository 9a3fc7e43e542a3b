package manifests

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// This file finds private key material however a manifest wraps it: in the raw text (YAML
// comments, keys a YAML parser drops as duplicates, folded scalars), base64-encoded once or
// twice (standard or URL-safe alphabet, padded or not, wrapped in lines), as DER, in a
// kubeconfig inside a ConfigMap, in the items of a List, or split across the items of a YAML
// list. A hosted manifest is served as raw bytes: whatever they carry is readable by anyone
// who can fetch it. Public certificates are not secrets and are not reported here.

const (
	// minBase64Run is the shortest base64 run that is decoded: a DER Ed25519 private key in
	// PKCS #8, the smallest key there is, is 64 characters of base64.
	minBase64Run = 60
	// maxBase64Run is the longest base64 run that is decoded (a base64 run of a private key
	// encoded twice is a few kilobytes; a run beyond this carries no key alone).
	maxBase64Run = 1 << 20
	// wrappedLineMin is the shortest line of base64 that a run wrapped over lines starts
	// with (base64 is wrapped at 64 or 76 columns).
	wrappedLineMin = 40
	// maxDecodeLevels is how often a run is decoded from base64 at most: base64 of base64.
	maxDecodeLevels = 2
)

// privateKeyHeader matches the header of a PEM private key ("-----BEGIN RSA PRIVATE
// KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN PGP PRIVATE KEY BLOCK-----",
// "-----BEGIN ENCRYPTED PRIVATE KEY-----"), also with its words broken over lines or spaces
// (a folded YAML scalar, a quoted string over lines).
var privateKeyHeader = regexp.MustCompile(`-----\s*BEGIN\s+[A-Z0-9 \t\r\n]*?PRIVATE\s+KEY[A-Z \t]*-----`)

// RawKeyMaterial is private key material found in the raw bytes of a manifest. It never holds
// the material itself.
type RawKeyMaterial struct {
	// Document is the 0-based index of the document in the stream, counted as ParseObjects
	// and DocumentError count them.
	Document int `json:"document" yaml:"document"`
	// Line is the 1-based line of the manifest where the material starts.
	Line int `json:"line" yaml:"line"`
	// Object is the document's object, when the document parses as one.
	Object *ObjectRef `json:"object,omitempty" yaml:"object,omitempty"`
	// What says how the material is written, for example "PEM private key in a comment" or
	// "private key, base64-encoded twice".
	What string `json:"what" yaml:"what"`
}

// String returns "document N (object), line L: what".
func (k RawKeyMaterial) String() string {
	where := fmt.Sprintf("document %d", k.Document)
	if k.Object != nil {
		where += " (" + k.Object.String() + ")"
	}

	return fmt.Sprintf("%s, line %d: %s", where, k.Line, k.What)
}

// ScanManifest reports the private key material in the raw bytes of a multi-document YAML
// manifest, comments and all, whatever the YAML means: PEM private key headers, and runs of
// base64 (standard or URL-safe, padded or not, wrapped over lines, encoded up to twice) that
// decode to a PEM private key, a DER private key or a kubeconfig with credentials. It finds
// what a YAML parser would drop (comments, duplicate keys). One finding per document, line and
// kind of wrapping, in manifest order.
func ScanManifest(data []byte) []RawKeyMaterial {
	var out []RawKeyMaterial

	for _, doc := range splitDocuments(data) {
		var ref *ObjectRef
		if obj, err := parseObject(doc.data); err == nil && obj != nil {
			r := RefOf(obj)
			ref = &r
		}

		seen := map[string]bool{}

		for _, f := range scanText(doc.data, 0) {
			key := fmt.Sprint(f.line, f.what)
			if seen[key] {
				continue
			}

			seen[key] = true
			out = append(out, RawKeyMaterial{Document: doc.index, Line: doc.line + f.line - 1, Object: ref, What: f.what})
		}
	}

	return out
}

// FindManifestKeyMaterial is FindKeyMaterial for a manifest's bytes, the check of a manifest
// to be hosted: the key material of its objects (an error when a document does not parse, as
// from ParseObjects), and for each document whose raw bytes carry a private key that its
// object does not show (in a comment, under a duplicate key, or a document that is not an
// object) an entry with PrivateKey set whose keys say where ("document 2, line 14: PEM
// private key in a comment"). The material itself is never part of the result.
func FindManifestKeyMaterial(data []byte) ([]KeyMaterial, error) {
	objs, err := ParseObjects(data)
	if err != nil {
		return nil, err
	}

	found := FindKeyMaterial(objs)

	private := map[ObjectRef]bool{}
	for _, km := range found {
		if km.PrivateKey {
			private[km.Object] = true
		}
	}

	extra := map[ObjectRef]*KeyMaterial{}

	var order []ObjectRef

	for _, raw := range ScanManifest(data) {
		ref := ObjectRef{Kind: "Document", Name: fmt.Sprint(raw.Document)}
		if raw.Object != nil {
			ref = *raw.Object
		}

		if private[ref] {
			continue
		}

		km, ok := extra[ref]
		if !ok {
			km = &KeyMaterial{Object: ref, PrivateKey: true}
			extra[ref] = km
			order = append(order, ref)
		}

		km.Keys = append(km.Keys, fmt.Sprintf("document %d, line %d: %s", raw.Document, raw.Line, raw.What))
	}

	for _, ref := range order {
		found = append(found, *extra[ref])
	}

	return found, nil
}

// manifestDocument is one document of a YAML stream.
type manifestDocument struct {
	index, line int // the document's index as ParseObjects counts, and its first line
	data        []byte
}

// splitDocuments splits a YAML stream at "---" lines as ParseObjects' reader does (a
// separator with nothing before it starts no document).
func splitDocuments(data []byte) []manifestDocument {
	var (
		docs  []manifestDocument
		cur   bytes.Buffer
		start = 1
	)

	lines := bytes.SplitAfter(data, []byte("\n"))
	for i, l := range lines {
		if bytes.HasPrefix(l, []byte("---")) {
			rest := strings.TrimSpace(string(l[3:]))
			if rest == "" || strings.HasPrefix(rest, "#") {
				if cur.Len() > 0 {
					docs = append(docs, manifestDocument{index: len(docs), line: start, data: bytes.Clone(cur.Bytes())})
					cur.Reset()
				}

				// A comment on the separator line belongs to the next document.
				start = i + 1
				if rest != "" {
					cur.Write(l[3:])
				} else {
					start = i + 2
				}

				continue
			}
		}

		cur.Write(l)
	}

	if cur.Len() > 0 {
		docs = append(docs, manifestDocument{index: len(docs), line: start, data: cur.Bytes()})
	}

	return docs
}

// textFinding is private key material in a text: its 1-based line and how it is written.
type textFinding struct {
	line int
	what string
}

// scanText finds private key material in text that was decoded level times from base64.
func scanText(text []byte, level int) []textFinding {
	var out []textFinding

	for _, loc := range privateKeyHeader.FindAllIndex(text, -1) {
		line := 1 + bytes.Count(text[:loc[0]], []byte("\n"))
		out = append(out, textFinding{line: line, what: describe("PEM private key", level, inComment(text, loc[0]))})
	}

	if level > 0 && isKubeconfigWithCredentials(text) {
		out = append(out, textFinding{line: 1, what: describe("kubeconfig with credentials", level, false)})
	}

	if level >= maxDecodeLevels {
		return out
	}

	inPEM := pemLines(text)

	for _, run := range base64Runs(text) {
		if inPEM[run.line] {
			continue // the body of a PEM block: reported by its header, or a certificate
		}

		decoded, ok := decodeBase64Run(run.text)
		if !ok {
			continue
		}

		if isDERPrivateKey(decoded) {
			out = append(out, textFinding{line: run.line, what: describe("DER private key", level+1, run.comment)})

			continue
		}

		for _, f := range scanText(decoded, level+1) {
			out = append(out, textFinding{line: run.line, what: f.what + commentSuffix(run.comment && !strings.HasSuffix(f.what, " in a comment"))})
		}
	}

	return out
}

func describe(what string, level int, comment bool) string {
	switch level {
	case 1:
		what += ", base64-encoded"
	case 2:
		what += ", base64-encoded twice"
	}

	return what + commentSuffix(comment)
}

func commentSuffix(comment bool) string {
	if comment {
		return " in a comment"
	}

	return ""
}

// inComment reports whether offset i of text is in a YAML comment: after a '#' that starts
// the line's text or follows a space, outside quotes (a heuristic, enough to say where).
func inComment(text []byte, i int) bool {
	start := bytes.LastIndexByte(text[:i], '\n') + 1
	line := text[start:i]

	var quote byte

	for j, c := range line {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (j == 0 || line[j-1] == ' ' || line[j-1] == '\t'):
			return true
		}
	}

	return false
}

// base64Run is a run of base64 characters, possibly wrapped over several lines.
type base64Run struct {
	text    string
	line    int // 1-based line of its start
	comment bool
}

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '+' || c == '/' || c == '-' || c == '_' || c == '='
}

// base64Runs returns the runs of base64 characters of text at least minBase64Run long. A run
// that ends its line continues on the next line when that line (after indentation, a comment
// marker, a list marker or a quote) is base64 only: base64 wrapped at 76 columns, in a block
// scalar, a folded scalar or a comment.
func base64Runs(text []byte) []base64Run {
	lines := strings.Split(string(text), "\n")

	var (
		out     []base64Run
		cur     strings.Builder
		curLine int
		curCom  bool
		open    bool // cur ends at its line's end and may continue
	)

	flush := func() {
		if cur.Len() >= minBase64Run && cur.Len() <= maxBase64Run {
			out = append(out, base64Run{text: cur.String(), line: curLine, comment: curCom})
		}

		cur.Reset()

		open = false
	}

	for i, line := range lines {
		body, comment := lineBody(line)

		if open && body != "" && allBase64(body) {
			cur.WriteString(body)

			continue
		}

		flush()

		// The runs of the line: each a token; the last one may continue on the next line.
		for j := 0; j < len(line); {
			if !isBase64Char(line[j]) {
				j++

				continue
			}

			k := j
			for k < len(line) && isBase64Char(line[k]) {
				k++
			}

			flush()
			cur.WriteString(line[j:k])
			curLine, curCom = i+1, comment || inComment([]byte(line), j)
			// Wrapped base64 fills its lines: a short token ending a line ("key: value")
			// does not continue on the next.
			open = k-j >= wrappedLineMin && strings.TrimRight(line[k:], " \t\r\"'\\") == ""
			j = k
		}

		if !open {
			flush()
		}
	}

	flush()

	return out
}

// lineBody returns a line without indentation, comment or list markers, quotes and a
// trailing backslash, and whether it is a comment.
func lineBody(line string) (string, bool) {
	s := strings.TrimSpace(line)
	comment := strings.HasPrefix(s, "#")
	s = strings.TrimLeft(s, "# \t")
	s = strings.TrimPrefix(s, "- ")
	s = strings.Trim(s, "\"' \t\r\\")

	return s, comment
}

func allBase64(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isBase64Char(s[i]) {
			return false
		}
	}

	return true
}

// decodeBase64Run decodes a run in the standard or the URL-safe alphabet, padded or not.
func decodeBase64Run(run string) ([]byte, bool) {
	s := strings.TrimRight(run, "=")
	if strings.ContainsAny(s, "=") {
		// Padding inside: concatenated encodings; decode the first.
		s = s[:strings.IndexByte(s, '=')]
	}

	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		if strings.ContainsAny(s, "+/") {
			return nil, false
		}

		enc = base64.RawURLEncoding
	}

	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}

	decoded, err := enc.DecodeString(s)
	if err != nil {
		return nil, false
	}

	return decoded, true
}

// isDERPrivateKey reports whether b is a private key in DER: PKCS #8, PKCS #1 or SEC 1.
func isDERPrivateKey(b []byte) bool {
	if len(b) < 32 || b[0] != 0x30 {
		return false
	}

	if _, err := x509.ParsePKCS8PrivateKey(b); err == nil {
		return true
	}

	if _, err := x509.ParsePKCS1PrivateKey(b); err == nil {
		return true
	}

	_, err := x509.ParseECPrivateKey(b)

	return err == nil
}

// isKubeconfigWithCredentials reports whether text is a kubeconfig (YAML with users) whose
// users carry a client key (client-key-data, client-key), a token or a password.
func isKubeconfigWithCredentials(text []byte) bool {
	if !bytes.Contains(text, []byte("users")) {
		return false
	}

	var cfg struct {
		Users []struct {
			User map[string]any `json:"user"`
		} `json:"users"`
	}

	if err := yaml.Unmarshal(text, &cfg); err != nil {
		return false
	}

	for _, u := range cfg.Users {
		for _, k := range []string{"client-key-data", "client-key", "token", "password"} {
			if v, ok := u.User[k].(string); ok && v != "" {
				return true
			}
		}
	}

	return false
}

// privateMaterialIn reports whether the string s of an object carries private key material
// in any of the wrappings of scanText, or is a kubeconfig with credentials.
func privateMaterialIn(s string) bool {
	if !strings.Contains(s, "-----") && !strings.Contains(s, "users") && !hasBase64Run(s) {
		return false
	}

	return isKubeconfigWithCredentials([]byte(s)) || len(scanText([]byte(s), 0)) > 0
}

// listItems returns the objects of a List (kind List, SecretList, ...: items that are
// objects), or nil.
func listItems(obj *unstructured.Unstructured) []*unstructured.Unstructured {
	if !strings.HasSuffix(obj.GetKind(), "List") {
		return nil
	}

	items, ok := obj.Object["items"].([]any)
	if !ok {
		return nil
	}

	var out []*unstructured.Unstructured

	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}

		item := &unstructured.Unstructured{Object: m}
		if item.GetKind() == "" && obj.GetKind() != "List" {
			// The items of a typed list (SecretList) carry no kind of their own.
			item = item.DeepCopy()
			item.SetKind(strings.TrimSuffix(obj.GetKind(), "List"))

			if item.GetAPIVersion() == "" {
				item.SetAPIVersion(obj.GetAPIVersion())
			}
		}

		out = append(out, item)
		out = append(out, listItems(item)...)
	}

	return out
}

// joinedStrings calls fn for every list of v (with its path) whose items are all strings,
// with the items joined: a PEM key split over the items of a list.
func joinedStrings(v any, p []string, fn func(p []string, s string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			joinedStrings(e, append(p[:len(p):len(p)], k), fn)
		}
	case []any:
		var b strings.Builder

		all := len(v) > 1

		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				all = false

				joinedStrings(e, append(p[:len(p):len(p)], fmt.Sprint(i)), fn)

				continue
			}

			b.WriteString(s)
			b.WriteByte('\n')
		}

		if all {
			fn(p, b.String())
			fn(p, strings.ReplaceAll(b.String(), "\n", ""))
		}
	}
}

// hasBase64Run reports whether s has minBase64Run base64 characters in a row: the quick test
// before base64Runs.
func hasBase64Run(s string) bool {
	n := 0

	for i := 0; i < len(s); i++ {
		if !isBase64Char(s[i]) {
			n = 0

			continue
		}

		if n++; n >= minBase64Run {
			return true
		}
	}

	return false
}

// pemBoundary matches the BEGIN and END lines of PEM blocks.
var pemBoundary = regexp.MustCompile(`-----\s*(BEGIN|END)\s[^\n]*?-----`)

// pemLines returns the 1-based lines of text inside PEM blocks (between BEGIN and END).
func pemLines(text []byte) map[int]bool {
	lines := map[int]bool{}
	begin := 0

	for _, m := range pemBoundary.FindAllSubmatchIndex(text, -1) {
		line := 1 + bytes.Count(text[:m[0]], []byte("\n"))
		if string(text[m[2]:m[3]]) == "BEGIN" {
			begin = line

			continue
		}

		if begin > 0 {
			for l := begin; l <= line; l++ {
				lines[l] = true
			}
		}

		begin = 0
	}

	return lines
}
