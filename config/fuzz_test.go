package config_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/talospatch/talospatch/config"
)

// FuzzLoadSecrets: whatever LoadSecrets accepts marshals to YAML that loads back to the same
// bundle, and marshalling is stable.
func FuzzLoadSecrets(f *testing.F) {
	f.Add(benchSecrets(f))
	f.Add([]byte("cluster:\n    id: a\n    secret: b\n"))
	f.Add([]byte(""))
	f.Add([]byte("{}"))
	f.Add([]byte(`{"Cluster":{"Id":"a","Secret":"b"},"Secrets":{"BootstrapToken":"x.y"}}`))
	f.Add([]byte("cluster:\n    idd: a\nsecrets: [1]\ncerts:\n    os:\n        crt: '******'\n"))
	f.Add([]byte(`{"cluster":{"id":1},"Secrets":{"BootstrapToken":["x"]},"Certs":{"OS":{"Crt":"QQ=="}},"Bogus":{"a":[{}]}}`))
	f.Add([]byte("a: &a {b: *a}\n<<: *a\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := config.LoadSecrets(data)
		if err != nil {
			if s != nil {
				t.Fatal("output with an error")
			}

			return
		}

		out, err := s.Marshal()
		if err != nil {
			t.Fatalf("marshal a loaded bundle: %v", err)
		}

		back, err := config.LoadSecrets(out)
		if err != nil {
			t.Fatalf("load marshalled bundle: %v\n%s", err, out)
		}

		again, err := back.Marshal()
		if err != nil {
			t.Fatal(err)
		}

		if string(out) != string(again) {
			t.Fatalf("marshal not stable:\n%s\n----\n%s", out, again)
		}

		if s.ClusterID() != back.ClusterID() || s.ClusterSecret() != back.ClusterSecret() || !s.CreatedAt().Equal(back.CreatedAt()) {
			t.Fatal("round trip changed the bundle")
		}
	})
}

// FuzzLoadCluster: whatever LoadCluster accepts marshals to YAML that loads back to an equal
// description.
func FuzzLoadCluster(f *testing.F) {
	full, err := fullCluster().Marshal()
	if err != nil {
		f.Fatal(err)
	}

	f.Add(full)
	f.Add([]byte("name: demo\nendpoint: https://10.5.0.2:6443\ncontract: v1.13\n"))
	f.Add([]byte(`{"name":"demo","cni":{"name":"custom","urls":["https://x/y.yaml"]}}`))
	f.Add([]byte("cni:\n  name: weave\n"))
	f.Add([]byte("kubePrism:\n  port: 7445\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.LoadCluster(data)
		if err != nil {
			return
		}

		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("marshal a loaded cluster: %v", err)
		}

		back, err := config.LoadCluster(out)
		if err != nil {
			t.Fatalf("load marshalled cluster: %v\n%s", err, out)
		}

		if diff := cmp.Diff(c, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip changed the cluster (-loaded +reloaded):\n%s\n%s", diff, out)
		}

		// Validate never panics and Generate agrees with it.
		if c.Validate() != nil {
			if _, err := config.Generate(c, nil); err == nil {
				t.Fatal("generate accepted an invalid cluster")
			}
		}
	})
}
