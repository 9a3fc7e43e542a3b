package patches_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
)

// exampleConfigWithKubeSpan is exampleConfig (no machine.network) with a KubeSpanConfig document.
const exampleConfigWithKubeSpan = exampleConfig + `---
apiVersion: v1alpha1
kind: KubeSpanConfig
enabled: true
`

// TestInvalidPatchSaidOnce: a patch that does not parse says "invalid patch" once, however it
// is read (Parse, Load, Strategic, UnmarshalText), and keeps machinery's explanation.
func TestInvalidPatchSaidOnce(t *testing.T) {
	t.Parallel()

	var (
		parse     = func(text string) error { _, err := patches.Parse([]byte(text)); return err }
		load      = func(text string) error { _, err := patches.Load(text); return err }
		strategic = func(text string) error { _, err := patches.Strategic(text); return err }
		unmarshal = func(text string) error { var p patches.Patch; return p.UnmarshalText([]byte(text)) }
	)

	for _, tc := range []struct {
		name string
		read func(string) error
		text string
		want string
	}{
		{
			name: "null list entry",
			read: parse,
			text: "cluster:\n  apiServer:\n    admissionControl:\n      - null\n",
			want: `invalid patch: strategic merge patch: error decoding document /v1alpha1/ (line 1): null value is not allowed at "cluster.apiServer.admissionControl[0]" (line 4)`,
		},
		{
			name: "unknown field",
			read: parse,
			text: "cluster:\n  bogus: 1\n",
			want: "invalid patch: strategic merge patch: error decoding document /v1alpha1/ (line 1): unknown keys found during decoding:\ncluster:\n    bogus: 1\n",
		},
		{
			name: "unknown kind",
			read: load,
			text: "apiVersion: v1alpha1\nkind: Bogus\n",
			want: `invalid patch: strategic merge patch: error decoding document v1alpha1/Bogus/ (line 1): "Bogus" "v1alpha1": not registered`,
		},
		{
			name: "broken JSON",
			read: parse,
			text: `[{"op":"add"`,
			want: "invalid patch: json patch: unexpected end of JSON input",
		},
		{
			name: "RFC 6902 text given to Strategic",
			read: strategic,
			text: `[{"op":"add","path":"/a","value":1}]`,
			want: "invalid patch: not a strategic merge patch",
		},
		{
			name: "unmarshalled text",
			read: unmarshal,
			text: "machine:\n  bogus: 1\n",
			want: "invalid patch: strategic merge patch: error decoding document /v1alpha1/ (line 1): unknown keys found during decoding:\nmachine:\n    bogus: 1\n",
		},
		{
			name: "operation error keeps its operation",
			read: parse,
			text: `[{"op":"add","path":"/a"}]`,
			want: `invalid patch: operation 0: invalid operation: add "/a" needs a value`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			err := tc.read(tc.text)
			require.Error(t, err)
			require.Equal(t, tc.want, err.Error())
			require.Equal(t, 1, strings.Count(err.Error(), "invalid patch"))

			var pe *patches.ParseError
			require.ErrorAs(t, err, &pe)

			if pe.Op < 0 {
				require.ErrorIs(t, err, patches.ErrInvalidPatch)
			} else {
				require.ErrorIs(t, err, patches.ErrInvalidOperation)
			}
		})
	}
}

// TestNoUnknownPosition: where machinery's YAML decoder knows no position ("<unknown
// position>", text that is not UTF-8), the message gives the line of the first invalid byte.
func TestNoUnknownPosition(t *testing.T) {
	t.Parallel()

	worker := patches.MustParse("machine:\n  type: worker\n")

	var (
		parse = func(text string) error { _, err := patches.Parse([]byte(text)); return err }
		apply = func(text string) error { _, err := patches.Apply([]byte(text), worker); return err }
		diff  = func(text string) error { _, err := patches.Diff([]byte(exampleConfig), []byte(text)); return err }
	)

	badConfig := strings.Replace(exampleConfig, "clusterName: demo", "clusterName: d\xe9mo", 1)

	for _, tc := range []struct {
		name     string
		read     func(string) error
		text     string
		sentinel error
		want     string
	}{
		{
			name:     "patch text",
			read:     parse,
			text:     "machine:\n  network:\n    hostname: n\xe9ud\n",
			sentinel: patches.ErrInvalidPatch,
			want:     "invalid patch: strategic merge patch: decode error: go-yaml load error in reader at line 3: invalid trailing UTF-8 octet (value: 117)",
		},
		{
			name:     "patch text ending mid-character",
			read:     parse,
			text:     ":   \xea",
			sentinel: patches.ErrInvalidPatch,
			want:     "invalid patch: strategic merge patch: decode error: go-yaml load error in reader at line 1: incomplete UTF-8 octet sequence",
		},
		{
			name:     "config given to Apply",
			read:     apply,
			text:     badConfig,
			sentinel: patches.ErrInvalidConfig,
			want:     "apply patches: invalid config: decode error: go-yaml load error in reader at line 9: invalid trailing UTF-8 octet (value: 109)",
		},
		{
			name:     "config given to Diff",
			read:     diff,
			text:     badConfig,
			sentinel: patches.ErrInvalidConfig,
			want:     "diff: second config: invalid config: decode error: go-yaml load error in reader at line 9: invalid trailing UTF-8 octet (value: 109)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			err := tc.read(tc.text)
			require.ErrorIs(t, err, tc.sentinel)
			require.NotContains(t, err.Error(), "unknown position")
			require.Equal(t, tc.want, err.Error())
		})
	}
}

// TestAddUnderMissingParent: an RFC 6902 add (copy, move) whose destination's parent does not
// exist names the first missing parent and the fix; the operations the message suggests work.
func TestAddUnderMissingParent(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name  string
		cfg   string
		patch patches.Patch
		op    int
		doc   string
		want  string   // the cause, after `missing path: `
		fix   []string // the suggested operations, which make the patch apply
	}{
		{
			name:  "kubespan without machine.network",
			cfg:   exampleConfig,
			patch: patches.MustParse(`[{"op":"add","path":"/machine/network/kubespan/enabled","value":true}]`),
			doc:   "v1alpha1",
			want: `"/machine/network" does not exist (RFC 6902 add creates only the last member of its path): ` +
				`add the missing parents first ({"op":"add","path":"/machine/network","value":{}}, then {"op":"add","path":"/machine/network/kubespan","value":{}}) ` +
				`or use a strategic merge patch, which creates them: ` +
				`add operation does not apply: doc is missing path: "/machine/network/kubespan/enabled": missing value`,
			fix: []string{`{"op":"add","path":"/machine/network","value":{}}`, `{"op":"add","path":"/machine/network/kubespan","value":{}}`},
		},
		{
			name:  "second operation, one level missing",
			cfg:   exampleConfig,
			patch: patches.MustOps(patches.Test("/machine/type", "controlplane"), patches.Add("/cluster/proxy/disabled", true)),
			op:    1,
			doc:   "v1alpha1",
			want: `"/cluster/proxy" does not exist (RFC 6902 add creates only the last member of its path): ` +
				`add the missing parents first ({"op":"add","path":"/cluster/proxy","value":{}}) or use a strategic merge patch, which creates them: ` +
				`add operation does not apply: doc is missing path: "/cluster/proxy/disabled": missing value`,
			fix: []string{`{"op":"add","path":"/cluster/proxy","value":{}}`},
		},
		{
			name:  "copy into a missing parent",
			cfg:   exampleConfig,
			patch: patches.MustOps(patches.Copy("/cluster/clusterName", "/machine/nodeLabels/cluster")),
			doc:   "v1alpha1",
			want: `"/machine/nodeLabels" does not exist (RFC 6902 copy creates only the last member of its path): ` +
				`add the missing parents first ({"op":"add","path":"/machine/nodeLabels","value":{}}) or use a strategic merge patch, which creates them: ` +
				`copy operation does not apply: doc is missing destination path: /machine/nodeLabels/cluster: missing value`,
			fix: []string{`{"op":"add","path":"/machine/nodeLabels","value":{}}`},
		},
		{
			name:  "other document",
			cfg:   exampleConfigWithKubeSpan,
			patch: must(patches.OpsFor(patches.Document{Kind: "KubeSpanConfig"}, patches.Add("/filters/endpoints/-", "0.0.0.0/0"))),
			op:    1,
			doc:   "KubeSpanConfig",
			want: `"/filters" does not exist (RFC 6902 add creates only the last member of its path): ` +
				`add the missing parents first ({"op":"add","path":"/filters","value":{}}, then {"op":"add","path":"/filters/endpoints","value":[]}) or use a strategic merge patch, which creates them: ` +
				`add operation does not apply: doc is missing path: "/filters/endpoints/-": missing value`,
			fix: []string{`{"op":"test","path":"/kind","value":"KubeSpanConfig"}`, `{"op":"add","path":"/filters","value":{}}`, `{"op":"add","path":"/filters/endpoints","value":[]}`},
		},
		{
			name:  "missing parent that would be an array",
			cfg:   exampleConfig,
			patch: patches.MustParse(`[{"op":"add","path":"/machine/network/interfaces/0/dhcp","value":true}]`),
			doc:   "v1alpha1",
			want: `"/machine/network" does not exist (RFC 6902 add creates only the last member of its path): ` +
				`add the missing parents first, starting with "/machine/network", or use a strategic merge patch, which creates them: ` +
				`add operation does not apply: doc is missing path: "/machine/network/interfaces/0/dhcp": missing value`,
		},
		{
			name:  "array element out of range",
			cfg:   exampleConfig,
			patch: patches.MustParse(`[{"op":"add","path":"/cluster/network/podSubnets/3/x","value":1}]`),
			doc:   "v1alpha1",
			want: `"/cluster/network/podSubnets/3" does not exist: the array "/cluster/network/podSubnets" has 1 elements; ` +
				`to add a new element, add it whole at "/cluster/network/podSubnets/-": ` +
				`add operation does not apply: doc is missing path: "/cluster/network/podSubnets/3/x": missing value`,
		},
		{
			name:  "parent is a string",
			cfg:   exampleConfig,
			patch: patches.MustParse(`[{"op":"add","path":"/machine/type/x","value":1}]`),
			doc:   "v1alpha1",
			want: `"/machine/type" is a string, not an object or array: add cannot put "/machine/type/x" under it: ` +
				`add operation does not apply: doc is missing path: "/machine/type/x": missing value`,
		},
		{
			name:  "remove of a missing path names the path only",
			cfg:   exampleConfig,
			patch: patches.MustParse(`[{"op":"remove","path":"/machine/network/kubespan"}]`),
			doc:   "v1alpha1",
			want:  `remove operation does not apply: doc is missing path: "/machine/network/kubespan": missing value`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			out, err := patches.Apply([]byte(tc.cfg), tc.patch)
			require.Nil(t, out)
			require.ErrorIs(t, err, patches.ErrMissingPath)

			var pe *patches.Error
			require.ErrorAs(t, err, &pe)

			ops := tc.patch.Operations()
			require.Equal(t, 0, pe.Patch)
			require.Equal(t, tc.op, pe.Op)
			require.Equal(t, ops[tc.op].Op(), pe.Operation)
			require.Equal(t, ops[tc.op].Path(), pe.Path)
			require.Equal(t, tc.doc, pe.Document)
			require.Equal(t, "missing path: "+tc.want, pe.Err.Error())

			if tc.fix != nil {
				fixed := patches.MustParse("[" + strings.Join(tc.fix, ",") + "," + strings.TrimPrefix(tc.patch.String(), "["))
				_, err := patches.Apply([]byte(tc.cfg), fixed)
				require.NoError(t, err)
			}
		})
	}
}

// TestUnknownDocumentListsDocuments: an RFC 6902 patch addressed to a document the config does
// not have lists the config's documents, in config order, as OpsFor takes them.
func TestUnknownDocumentListsDocuments(t *testing.T) {
	t.Parallel()

	named := exampleConfigWithKubeSpan + `---
apiVersion: v1alpha1
kind: UserVolumeConfig
name: data
provisioning:
  diskSelector:
    match: system_disk
  maxSize: 10GiB
---
apiVersion: v1alpha1
kind: UserVolumeConfig
name: logs
provisioning:
  diskSelector:
    match: system_disk
  maxSize: 1GiB
`

	for _, tc := range []struct {
		name   string
		cfg    string
		target patches.Document
		want   string // the cause, after `unknown document: `
	}{
		{
			name:   "wrong letter case",
			cfg:    exampleConfigWithKubeSpan,
			target: patches.Document{Kind: "KubespanConfig"},
			want: "the config has no KubespanConfig document (did you mean KubeSpanConfig?); " +
				"the config has: v1alpha1, HostnameConfig, KubeSpanConfig (give OpsFor one of these, kind and name as listed)",
		},
		{
			name:   "kind the config does not have",
			cfg:    exampleConfigWithKubeSpan,
			target: patches.Document{Kind: "KubePrismConfig"},
			want: "the config has no KubePrismConfig document; " +
				"the config has: v1alpha1, HostnameConfig, KubeSpanConfig (give OpsFor one of these, kind and name as listed)",
		},
		{
			name:   "name the config does not have",
			cfg:    named,
			target: patches.Document{Kind: "UserVolumeConfig", Name: "Logs"},
			want: "the config has no UserVolumeConfig/Logs document (did you mean UserVolumeConfig/logs?); " +
				"the config has: v1alpha1, HostnameConfig, KubeSpanConfig, UserVolumeConfig/data, UserVolumeConfig/logs (give OpsFor one of these, kind and name as listed)",
		},
		{
			name:   "kind without the name it needs",
			cfg:    named,
			target: patches.Document{Kind: "UserVolumeConfig"},
			want: "the config has 2 UserVolumeConfig documents (UserVolumeConfig/data, UserVolumeConfig/logs); " +
				"name one (OpsFor with Document.Name; in patch text, a test of /name after the test of /kind)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			p, err := patches.OpsFor(tc.target, patches.Add("/x", 1))
			require.NoError(t, err)

			out, err := patches.Apply([]byte(tc.cfg), p)
			require.Nil(t, out)
			require.ErrorIs(t, err, patches.ErrUnknownDocument)

			var pe *patches.Error
			require.ErrorAs(t, err, &pe)
			require.Equal(t, 0, pe.Patch)
			require.Equal(t, -1, pe.Op)
			require.Equal(t, tc.target.String(), pe.Document)
			require.Equal(t, "unknown document: "+tc.want, pe.Err.Error())
		})
	}
}
