package nodeencode

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v4"
)

// plainFieldCase is a struct of the shapes appendPlainField handles, with the tags of the
// v1alpha1 fields a node's settings change.
type plainFieldCase struct {
	SANs   []string          `yaml:"certSANs"`
	Labels map[string]string `yaml:"nodeLabels,omitempty"`
	Flow   []string          `yaml:"flow,flow"`
}

func plainFieldEncodings(t *testing.T) []fieldEncoding {
	t.Helper()

	typ := reflect.TypeFor[plainFieldCase]()
	out := make([]fieldEncoding, typ.NumField())

	for i := range typ.NumField() {
		f := typ.Field(i)
		out[i] = fieldEncoding{index: i, field: f, key: yamlKey(f), single: reflect.StructOf([]reflect.StructField{{Name: f.Name, Type: f.Type, Tag: f.Tag}})}
	}

	return out
}

// yamlOf is what the encoder writes for fd holding fv.
func yamlOf(t *testing.T, fd *fieldEncoding, fv reflect.Value) string {
	t.Helper()

	s := reflect.New(fd.single)
	s.Elem().Field(0).Set(fv)

	out, err := yaml.Marshal(s.Interface())
	require.NoError(t, err)

	return string(out)
}

// tricky are strings a plain scalar must not carry unchanged, or only just can.
var tricky = []string{
	"", " ", "a b", "a: b", "a #b", "#a", "-a", "- a", "--- ", "---", "...", "?a", ":a", "a:", "y", "Y", "yes", "No", "ON", "off",
	"true", "False", "NULL", "null", "~", "nan", ".nan", ".inf", "-.inf", "inf", "1", "01", "0x1F", "0o17", "0b1", "1_000", "1.5",
	"1e5", "1.2.3", "1..2.3", "10.0.0.1", "10.0.0.", ".10.0.0", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "12:30", "a\tb",
	"a\nb", "é", "<<", "=", "!a", "&a", "*a", "|", ">", "'a'", "\"a\"", "%a", "@a", "`a", "a,b", "[a]", "{a}", "example.com/node",
	"worker-1", "cp-0", "node.kubernetes.io/exclude-from-external-load-balancers", "a/b", "A_b", "_a", "/a", "a-", "a.", "x" + strings.Repeat("y", 70),
	"1.2.3.4.5.6.7", "255.255.255.255", "10.0.4.251", "E5", "e5", "1E5", "0.", "a1.5", "Infinity", "NaN",
}

func randomPlainish(rng *rand.Rand) string {
	if rng.IntN(3) == 0 {
		return tricky[rng.IntN(len(tricky))]
	}

	alphabet := "abyYnN01239._-/:#eExX \t'\"~!&*"
	if rng.IntN(2) == 0 {
		alphabet = "abyYnN01239._-/eExX" // what a plain scalar may hold, in risky orders
	}

	var sb strings.Builder

	for range 1 + rng.IntN(8) {
		sb.WriteByte(alphabet[rng.IntN(len(alphabet))])
	}

	return sb.String()
}

// TestAppendPlainFieldEqualsEncoder: whenever appendPlainField writes a field, it writes what
// the YAML encoder writes; and it does write the fleet's ordinary values.
func TestAppendPlainFieldEqualsEncoder(t *testing.T) {
	fields := plainFieldEncodings(t)
	rng := rand.New(rand.NewPCG(3, 5))
	written := 0

	check := func(fd *fieldEncoding, fv reflect.Value) {
		t.Helper()

		got, ok := appendPlainField([]byte("prefix"), fd, fv)
		if !ok {
			require.Equal(t, "prefix", string(got), "declining leaves dst unchanged")

			return
		}

		written++

		require.Equal(t, yamlOf(t, fd, fv), strings.TrimPrefix(string(got), "prefix"), "%#v", fv.Interface())
	}

	for _, s := range tricky {
		check(&fields[0], reflect.ValueOf([]string{s}))
		check(&fields[0], reflect.ValueOf([]string{"10.0.0.1", s}))
		check(&fields[1], reflect.ValueOf(map[string]string{s: "v"}))
		check(&fields[1], reflect.ValueOf(map[string]string{"example.com/node": s}))
	}

	for range 50000 {
		var sans []string
		for range rng.IntN(4) {
			sans = append(sans, randomPlainish(rng))
		}

		check(&fields[0], reflect.ValueOf(sans))
		check(&fields[1], reflect.ValueOf(map[string]string{randomPlainish(rng): randomPlainish(rng)}))
		check(&fields[2], reflect.ValueOf(sans))
	}

	require.Greater(t, written, 5000)

	// The fleet's values are written directly.
	for _, v := range []reflect.Value{reflect.ValueOf([]string{"10.0.3.251"}), reflect.ValueOf(map[string]string{"example.com/node": "worker-999"})} {
		fd := &fields[0]
		if v.Kind() == reflect.Map {
			fd = &fields[1]
		}

		_, ok := appendPlainField(nil, fd, v)
		require.True(t, ok, "%v", v.Interface())
	}

	// Empty values, maps with several keys and flow style are the encoder's.
	for _, tc := range []struct {
		fd *fieldEncoding
		v  any
	}{
		{&fields[0], []string(nil)},
		{&fields[0], []string{}},
		{&fields[1], map[string]string{}},
		{&fields[1], map[string]string{"a": "b", "c": "d"}},
		{&fields[2], []string{"a"}},
	} {
		_, ok := appendPlainField(nil, tc.fd, reflect.ValueOf(tc.v))
		require.False(t, ok, "%#v", tc.v)
	}
}
