package config

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"go.yaml.in/yaml/v4"

	talosx509 "github.com/siderolabs/crypto/x509"

	"github.com/talospatch/talospatch/talos"
)

// This file checks a secrets bundle as LoadSecrets reads it: its keys (an unknown key is a
// misspelling, not something to ignore) and the shape of each value. Every problem is a
// *talos.FieldError whose path is an RFC 6901 pointer into the input as written (the YAML keys
// "/secrets/bootstraptoken", the JSON keys "/Secrets/BootstrapToken") and whose Err wraps
// ErrSecrets. Secret values are never quoted in the errors: they say the length and shape.

// Fixes for a bundle that is damaged, as opposed to one of the wrong kind.
const (
	fixRecoverSecrets = "restore the bundle from its backup, or recover it from a control-plane config with " +
		"`talosctl gen secrets --from-controlplane-config controlplane.yaml`; for a new cluster make one with `talosctl gen secrets`"
	fixRedacted = "this is a redacted copy of the bundle (as `talosctl get` shows it): load the original bundle"
)

// bootstrapTokenRE is Kubernetes' bootstrap token format: a 6-character token id and a
// 16-character secret of lowercase letters and digits, joined by a dot.
var bootstrapTokenRE = regexp.MustCompile(`^[a-z0-9]{6}\.[a-z0-9]{16}$`)

// maxSecretsErrors bounds the problems reported for one input.
const maxSecretsErrors = 20

// secretsField is one field of machinery's secrets.Bundle: its YAML key, its JSON key and,
// for a struct, its fields; bytes is set for the []byte fields (PEM data, base64 in the file).
type secretsField struct {
	yaml, json string
	fields     []secretsField
	bytes      bool
}

// bundleFields are the fields of secrets.Bundle, read from the type: the YAML keys are the
// lowercased field names (or the yaml tag's name), the JSON keys the json tags'. The
// certificate types decode themselves from YAML with the keys crt and key, which are their
// lowercased field names too.
var bundleFields = secretsFields(reflect.TypeFor[secrets.Bundle]())

func secretsFields(t reflect.Type) []secretsField {
	var out []secretsField

	for i := range t.NumField() {
		f := t.Field(i)

		ytag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		jtag, _, _ := strings.Cut(f.Tag.Get("json"), ",")

		if !f.IsExported() || ytag == "-" || jtag == "-" {
			continue
		}

		sf := secretsField{yaml: ytag, json: jtag}
		if sf.yaml == "" {
			sf.yaml = strings.ToLower(f.Name)
		}

		if sf.json == "" {
			sf.json = f.Name
		}

		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}

		switch {
		case ft.Kind() == reflect.Struct:
			sf.fields = secretsFields(ft)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Uint8:
			sf.bytes = true
		}

		out = append(out, sf)
	}

	return out
}

// secretsCheck collects the problems of one input.
type secretsCheck struct {
	json bool // the input is JSON: keys are matched as encoding/json matches them
	errs []error
	more int // problems beyond maxSecretsErrors

	// written maps a field's pointer with the YAML keys ("/secrets/bootstraptoken") to its
	// pointer as written in the input, for the fields the input has.
	written map[string]string
}

func newSecretsCheck(json bool) *secretsCheck {
	return &secretsCheck{json: json, written: map[string]string{}}
}

// add records a problem of the field at pointer path (as written).
func (c *secretsCheck) add(path, format string, args ...any) *talos.FieldError {
	fe := &talos.FieldError{Path: path, Err: fmt.Errorf("%w: "+format, append([]any{ErrSecrets}, args...)...)}

	if len(c.errs) < maxSecretsErrors {
		c.errs = append(c.errs, fe)
	} else {
		c.more++
	}

	return fe
}

func (c *secretsCheck) err() error {
	if c.more > 0 {
		c.errs = append(c.errs, fmt.Errorf("%w: %d more problems", ErrSecrets, c.more))
	}

	return talos.Join(c.errs...)
}

// path returns the pointer, as written in the input, of the field with the given YAML keys;
// for keys the input lacks, the format's key.
func (c *secretsCheck) path(keys ...string) string {
	fields, written := bundleFields, ""

	for i, k := range keys {
		j := slices.IndexFunc(fields, func(f secretsField) bool { return f.yaml == k })

		switch w, ok := c.written[talos.Pointer(keys[:i+1]...)]; {
		case ok:
			written = w
		case j >= 0 && c.json:
			written += talos.Pointer(fields[j].json)
		default:
			written += talos.Pointer(k)
		}

		if j >= 0 {
			fields = fields[j].fields
		}
	}

	return written
}

// key returns the field the key names: the YAML key exactly, or for JSON the JSON key exactly
// or else case-insensitively, as encoding/json matches.
func (c *secretsCheck) key(fields []secretsField, key string) (secretsField, bool) {
	for _, f := range fields {
		if !c.json && f.yaml == key || c.json && f.json == key {
			return f, true
		}
	}

	if c.json {
		for _, f := range fields {
			if strings.EqualFold(f.json, key) {
				return f, true
			}
		}
	}

	return secretsField{}, false
}

// unknownKey records a key no field takes, with the nearest key as the likely intended one.
func (c *secretsCheck) unknownKey(fields []secretsField, parent, key string, line int) {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.yaml
		if c.json {
			names[i] = f.json
		}
	}

	fe := c.add(parent+talos.Pointer(key), "unknown key %q on line %d", key, line)

	if near := nearest(key, names); near != "" {
		fe.Fix = fmt.Sprintf("did you mean %q?", near)
	} else {
		fe.Fix = "the keys here are " + strings.Join(names, ", ")
	}
}

// value checks a field's value, given as text (nil for null): a []byte field must be base64
// (as the YAML decoder of the certificate types and encoding/json read it).
func (c *secretsCheck) value(f secretsField, canon, path string, text *string) {
	if text == nil || !f.bytes {
		return
	}

	if *text == talosx509.Redacted {
		c.add(path, "the value is redacted (%q)", talosx509.Redacted).Fix = fixRedacted

		return
	}

	if _, err := base64.StdEncoding.DecodeString(*text); err != nil {
		pemKind := "PEM private key"
		if f.yaml == "crt" {
			pemKind = "PEM certificate"
		}

		c.add(path, "%s is not base64 (%d characters): %w", describeSecretsField(canon), len(*text), err).Fix =
			"the base64 of a " + pemKind + " (standard base64, on one line), as talosctl gen secrets writes it; " + fixRecoverSecrets
	}
}

// kindName names the kind of value a field takes, for errors.
func (c *secretsCheck) kindName(f secretsField) string {
	switch {
	case f.fields == nil:
		return "a string"
	case c.json:
		return "an object"
	default:
		return "a mapping"
	}
}

// walkYAML checks the keys and values of a YAML node against fields; canon and path are the
// node's pointer with the YAML keys and as written.
func (c *secretsCheck) walkYAML(n *yaml.Node, fields []secretsField, canon, path string) {
	if n.Kind == yaml.MappingNode {
		c.walkYAMLMapping(n, fields, canon, path)

		return
	}

	c.kindError(path, fields, yamlKind(n), n.Line)
}

// kindError records a value of the wrong kind: found, on line, where a mapping of fields (or a
// string, for no fields) belongs.
func (c *secretsCheck) kindError(path string, fields []secretsField, found string, line int) {
	if fields == nil {
		c.add(path, "want a string, found %s on line %d", found, line).Fix = "one string, as talosctl gen secrets writes it"

		return
	}

	names := yamlNames(fields)
	if c.json {
		names = jsonNames(fields)
	}

	where := "under it"
	if path == "" {
		where = "at the top level"
	}

	c.add(path, "want %s, found %s on line %d", c.kindName(secretsField{fields: fields}), found, line).Fix =
		"the keys " + strings.Join(names, ", ") + " " + where + ", as in the bundle talosctl gen secrets writes"
}

func (c *secretsCheck) walkYAMLMapping(n *yaml.Node, fields []secretsField, canon, path string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])

		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" { // "<<: *anchor": keys of other mappings
			merged := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				merged = v.Content
			}

			for _, m := range merged {
				if m = resolveAlias(m); m.Kind == yaml.MappingNode {
					c.walkYAMLMapping(m, fields, canon, path)
				} else {
					c.add(path+talos.Pointer(k.Value), "a merge key takes mappings, found %s on line %d", yamlKind(m), m.Line)
				}
			}

			continue
		}

		if k.Kind != yaml.ScalarNode {
			c.add(path, "a key that is not a string on line %d", k.Line).Fix = "the keys here are " + strings.Join(yamlNames(fields), ", ")

			continue
		}

		f, ok := c.key(fields, k.Value)
		if !ok {
			c.unknownKey(fields, path, k.Value, k.Line)

			continue
		}

		fcanon, fpath := canon+talos.Pointer(f.yaml), path+talos.Pointer(k.Value)
		c.written[fcanon] = fpath

		switch {
		case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null":
			// missing: the checks of the decoded bundle say so where a value is required
		case f.fields != nil:
			c.walkYAML(v, f.fields, fcanon, fpath)
		case v.Kind != yaml.ScalarNode:
			c.kindError(fpath, nil, yamlKind(v), v.Line)
		default:
			c.value(f, fcanon, fpath, &v.Value)
		}
	}
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}

	return n
}

func yamlKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch tag := n.ShortTag(); tag {
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		default:
			return "a " + strings.TrimPrefix(tag, "!!") + " value"
		}
	default:
		return "another kind of node"
	}
}

func yamlNames(fields []secretsField) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.yaml
	}

	return names
}

// jsonWalker reads a JSON document token by token (so that keys keep their order and their
// line), checking it against the bundle's fields.
type jsonWalker struct {
	*secretsCheck

	data []byte
	dec  *json.Decoder

	// line counting: the line of offset lineOff is line
	lineOff int
	line    int
}

func (w *jsonWalker) lineAt(off int) int {
	w.line += bytes.Count(w.data[w.lineOff:off], []byte{'\n'})
	w.lineOff = off

	return w.line
}

// next returns the next token and the line it starts on.
func (w *jsonWalker) next() (json.Token, int, error) {
	off := int(w.dec.InputOffset())
	for off < len(w.data) && strings.IndexByte(" \t\r\n,:", w.data[off]) >= 0 {
		off++
	}

	line := w.lineAt(off)
	tok, err := w.dec.Token()

	return tok, line, err
}

// skip reads the rest of a value whose first token was tok.
func (w *jsonWalker) skip(tok json.Token) error {
	if d, ok := tok.(json.Delim); !ok || d == '}' || d == ']' {
		return nil
	}

	for depth := 1; depth > 0; {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}

		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}

	return nil
}

// object checks an object whose '{' was read.
func (w *jsonWalker) object(fields []secretsField, canon, path string) error {
	for {
		tok, line, err := w.next()
		if err != nil {
			return err
		}

		if tok == json.Delim('}') {
			return nil
		}

		key, _ := tok.(string)

		vtok, vline, err := w.next()
		if err != nil {
			return err
		}

		f, ok := w.key(fields, key)
		if !ok {
			w.unknownKey(fields, path, key, line)

			if err := w.skip(vtok); err != nil {
				return err
			}

			continue
		}

		fcanon, fpath := canon+talos.Pointer(f.yaml), path+talos.Pointer(key)
		w.written[fcanon] = fpath

		switch v := vtok.(type) {
		case nil:
			// missing: the checks of the decoded bundle say so where a value is required
		case json.Delim:
			if v == '{' && f.fields != nil {
				if err := w.object(f.fields, fcanon, fpath); err != nil {
					return err
				}

				continue
			}

			w.kindError(fpath, f.fields, jsonKind(vtok), vline)

			if err := w.skip(vtok); err != nil {
				return err
			}
		case string:
			if f.fields != nil {
				w.kindError(fpath, f.fields, jsonKind(vtok), vline)

				continue
			}

			w.value(f, fcanon, fpath, &v)
		default:
			w.kindError(fpath, f.fields, jsonKind(vtok), vline)
		}
	}
}

func jsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}

		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	default:
		return "null"
	}
}

// checkSecretsJSON checks the keys and value kinds of a JSON bundle (valid JSON) and returns
// the check, which has the keys as written, for checkValues.
func checkSecretsJSON(data []byte) (*secretsCheck, error) {
	c := newSecretsCheck(true)
	w := &jsonWalker{secretsCheck: c, data: data, dec: json.NewDecoder(bytes.NewReader(data)), line: 1}
	w.dec.UseNumber()

	tok, line, err := w.next()
	if err != nil {
		return nil, fmt.Errorf("%w: json: %w", ErrSecrets, err)
	}

	if tok != json.Delim('{') { // not reached: LoadSecrets reads only objects as JSON
		c.kindError("", bundleFields, jsonKind(tok), line)

		return nil, c.err()
	}

	if err := w.object(bundleFields, "", ""); err != nil {
		return nil, fmt.Errorf("%w: json: %w", ErrSecrets, err)
	}

	return c, c.err()
}

func jsonNames(fields []secretsField) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.json
	}

	return names
}

// checkValues checks the values of a decoded bundle: what machinery's Validate requires,
// and the form of each token, identifier, secret, certificate and key. c holds the pointers as
// written (see secretsCheck.path).
func (c *secretsCheck) checkValues(b *secrets.Bundle) error {
	required := func(keys ...string) {
		c.add(c.path(keys...), "%s is missing", describeSecretsField(talos.Pointer(keys...))).Fix = fixRecoverSecrets
	}

	if b.Cluster == nil {
		required("cluster")
	} else {
		c.base64Value(b.Cluster.ID, constants.DefaultClusterIDSize, true, "cluster", "id")
		c.base64Value(b.Cluster.Secret, constants.DefaultClusterSecretSize, false, "cluster", "secret")
	}

	if b.Secrets == nil {
		required("secrets")
	} else {
		c.bootstrapToken(b.Secrets.BootstrapToken)

		aescbc, secretbox := b.Secrets.AESCBCEncryptionSecret, b.Secrets.SecretboxEncryptionSecret

		switch {
		case aescbc == "" && secretbox == "":
			c.add(c.path("secrets", "secretboxencryptionsecret"), "an encryption secret is missing: the bundle has neither %s nor %s",
				c.path("secrets", "secretboxencryptionsecret"), c.path("secrets", "aescbcencryptionsecret")).Fix = fixRecoverSecrets
		case aescbc != "" && secretbox != "":
			c.add(c.path("secrets", "aescbcencryptionsecret"), "the bundle has two encryption secrets, %s and %s",
				c.path("secrets", "secretboxencryptionsecret"), c.path("secrets", "aescbcencryptionsecret")).Fix =
				"keep the one the cluster's machine configs have (cluster.secretboxEncryptionSecret or cluster.aescbcEncryptionSecret) and remove the other"
		case secretbox != "":
			c.base64Value(secretbox, 32, false, "secrets", "secretboxencryptionsecret")
		default:
			c.base64Value(aescbc, 32, false, "secrets", "aescbcencryptionsecret")
		}
	}

	if b.TrustdInfo == nil || b.TrustdInfo.Token == "" {
		required("trustdinfo", "token")
	}

	if b.Certs == nil {
		required("certs")

		return c.err()
	}

	for _, ck := range []struct {
		name string
		p    *talosx509.PEMEncodedCertificateAndKey
	}{{"etcd", b.Certs.Etcd}, {"k8s", b.Certs.K8s}, {"k8saggregator", b.Certs.K8sAggregator}, {"os", b.Certs.OS}} {
		if ck.p == nil {
			required("certs", ck.name)

			continue
		}

		c.certificate(ck.p.Crt, "certs", ck.name, "crt")
		c.privateKey(ck.p.Key, func() error { _, err := ck.p.GetKey(); return err }, "certs", ck.name, "key")
	}

	if sa := b.Certs.K8sServiceAccount; sa == nil {
		required("certs", "k8sserviceaccount")
	} else {
		c.privateKey(sa.Key, func() error { _, err := sa.GetKey(); return err }, "certs", "k8sserviceaccount", "key")
	}

	return c.err()
}

// base64Value checks that s is n bytes in standard base64 (or URL-safe base64 when urlOK: the
// cluster id of bundles made before Talos 1.14).
func (c *secretsCheck) base64Value(s string, n int, urlOK bool, keys ...string) {
	what := describeSecretsField(talos.Pointer(keys...))
	if s == "" {
		c.add(c.path(keys...), "%s is missing", what).Fix = fixRecoverSecrets

		return
	}

	fix := fmt.Sprintf("%d random bytes in standard base64 (%d characters ending in '='), as talosctl gen secrets makes it; %s",
		n, base64.StdEncoding.EncodedLen(n), fixRecoverSecrets)

	decoded, err := base64.StdEncoding.DecodeString(s)
	if err != nil && urlOK {
		decoded, err = base64.URLEncoding.DecodeString(s)
	}

	switch {
	case err != nil:
		c.add(c.path(keys...), "%s is not base64 (%d characters): %w", what, len(s), err).Fix = fix
	case len(decoded) != n:
		c.add(c.path(keys...), "%s is %d bytes in base64 (%d characters), want %d bytes", what, len(decoded), len(s), n).Fix = fix
	}
}

// bootstrapToken checks Kubernetes' bootstrap token format, describing a wrong token by its
// shape.
func (c *secretsCheck) bootstrapToken(s string) {
	if s == "" {
		c.add(c.path("secrets", "bootstraptoken"), "the bootstrap token is missing").Fix = fixRecoverSecrets

		return
	}

	if bootstrapTokenRE.MatchString(s) {
		return
	}

	c.add(c.path("secrets", "bootstraptoken"), "the bootstrap token is not in Kubernetes' bootstrap token format [a-z0-9]{6}.[a-z0-9]{16}: it has %s",
		tokenShape(s)).Fix = "a 6-character token id and a 16-character secret of lowercase letters and digits joined by a dot, " +
		"as talosctl gen secrets makes it; " + fixRecoverSecrets
}

// tokenShape describes a string without quoting it: "23 characters in parts of 6 and 16, with
// uppercase letters".
func tokenShape(s string) string {
	var b strings.Builder

	b.WriteString(strconv.Itoa(len(s)))
	b.WriteString(" characters")

	if parts := strings.Split(s, "."); len(parts) > 1 {
		lens := make([]string, len(parts))
		for i, p := range parts {
			lens[i] = strconv.Itoa(len(p))
		}

		b.WriteString(" in dot-separated parts of " + strings.Join(lens, ", "))
	} else {
		b.WriteString(" and no dot")
	}

	var upper, space, other bool

	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.':
		case r >= 'A' && r <= 'Z':
			upper = true
		case unicode.IsSpace(r):
			space = true
		default:
			other = true
		}
	}

	var with []string

	if upper {
		with = append(with, "uppercase letters")
	}

	if space {
		with = append(with, "white space")
	}

	if other {
		with = append(with, "characters other than a-z, 0-9 and '.'")
	}

	if len(with) > 0 {
		b.WriteString(", with " + strings.Join(with, " and "))
	}

	return b.String()
}

// certificate checks that data (decoded from base64) is a PEM X.509 certificate.
func (c *secretsCheck) certificate(data []byte, keys ...string) {
	c.pemBlock(data, "CERTIFICATE", "a PEM certificate (-----BEGIN CERTIFICATE-----)", func(block *pem.Block) error {
		_, err := x509.ParseCertificate(block.Bytes)

		return err
	}, keys...)
}

// privateKey checks that data (decoded from base64) is a PEM private key that parse accepts.
func (c *secretsCheck) privateKey(data []byte, parse func() error, keys ...string) {
	c.pemBlock(data, "", "a PEM private key (-----BEGIN ... PRIVATE KEY-----)", func(*pem.Block) error { return parse() }, keys...)
}

// pemBlock checks that data (decoded from base64) is one PEM block, of blockType when it is not
// empty, that parse accepts; want describes it for the fix.
func (c *secretsCheck) pemBlock(data []byte, blockType, want string, parse func(*pem.Block) error, keys ...string) {
	path, what := c.path(keys...), describeSecretsField(talos.Pointer(keys...))
	fix := "the base64 of " + want + ", as talosctl gen secrets writes it; " + fixRecoverSecrets

	switch block, _ := pem.Decode(data); {
	case len(data) == 0:
		c.add(path, "%s is missing", what).Fix = fixRecoverSecrets
	case string(data) == talosx509.Redacted:
		c.add(path, "the value is redacted (%q)", talosx509.Redacted).Fix = fixRedacted
	case block == nil:
		c.add(path, "%s is not PEM: its base64 decodes to %d bytes without a PEM block", what, len(data)).Fix = fix
	case blockType != "" && block.Type != blockType:
		c.add(path, "%s is a PEM %q block, want %s", what, block.Type, blockType).Fix = fix
	default:
		if err := parse(block); err != nil {
			if blockType != "" {
				c.add(path, "%s does not parse: %w", what, err).Fix = fix
			} else {
				c.add(path, "%s (a PEM %q block) does not parse: %w", what, block.Type, err).Fix = fix
			}
		}
	}
}

// describeSecretsField names a field of the bundle (by its pointer with the YAML keys) for
// error messages.
func describeSecretsField(canon string) string {
	switch canon {
	case "/cluster":
		return "the cluster section (cluster id and secret)"
	case "/cluster/id":
		return "the cluster id"
	case "/cluster/secret":
		return "the cluster secret"
	case "/secrets":
		return "the Kubernetes secrets section (bootstrap token, encryption secret)"
	case "/secrets/secretboxencryptionsecret":
		return "the secretbox encryption secret"
	case "/secrets/aescbcencryptionsecret":
		return "the AES-CBC encryption secret"
	case "/trustdinfo/token":
		return "the trustd token"
	case "/certs":
		return "the certificates section"
	}

	segs := talos.Segments(canon)
	if len(segs) >= 2 && segs[0] == "certs" {
		name := map[string]string{
			"etcd": "etcd CA", "k8s": "Kubernetes CA", "k8saggregator": "Kubernetes aggregator CA",
			"k8sserviceaccount": "Kubernetes service account", "os": "Talos API CA",
		}[segs[1]]

		switch {
		case len(segs) == 2:
			return "the " + name
		case segs[2] == "crt":
			return "the " + name + " certificate"
		case segs[2] == "key":
			return "the " + name + " key"
		}
	}

	return strings.TrimPrefix(canon, "/")
}

// decodeSecrets parses and checks a bundle: data is JSON when isJSON, else YAML (one document).
func decodeSecrets(data []byte, isJSON bool) (*secrets.Bundle, error) {
	var b secrets.Bundle

	if isJSON {
		c, err := checkSecretsJSON(data)
		if err != nil {
			return nil, err
		}

		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()

		if err := dec.Decode(&b); err != nil {
			return nil, fmt.Errorf("%w: json: %w", ErrSecrets, err)
		}

		if err := c.checkValues(&b); err != nil {
			return nil, err
		}

		return &b, nil
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))

	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty input", ErrSecrets)
		}

		return nil, fmt.Errorf("%w: %w", ErrSecrets, err)
	}

	// A second document would be silently ignored by talosctl; refuse it.
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrSecrets)
	}

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}

	root = resolveAlias(root)

	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, fmt.Errorf("%w: empty document", ErrSecrets)
	}

	c := newSecretsCheck(false)

	c.walkYAML(root, bundleFields, "", "")

	if err := c.err(); err != nil {
		return nil, err
	}

	if err := root.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSecrets, err)
	}

	if err := c.checkValues(&b); err != nil {
		return nil, err
	}

	return &b, nil
}
