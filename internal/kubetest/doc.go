// Package kubetest runs a real Kubernetes control plane (etcd and kube-apiserver, both on
// loopback) for tests, so that code talking to Kubernetes is proven against the real API server
// rather than a fake.
//
// The binaries come from the directory in $TALOSPATCH_KUBE_BIN, else <repo>/.cache/bin, else
// $PATH; `bash .ci/provision-kube.sh` puts both into .cache/bin. When they are missing a test
// is skipped with a message saying how to provision them, except with CI=true, where it fails.
//
// A Pool shares one etcd between the API servers of a test binary. Pool.Shared hands every
// test the same API server (fast; isolate tests by namespace or name), Pool.Fresh starts an API
// server of its own on a new etcd prefix: an empty cluster, stopped when the test ends.
//
//	var pool kubetest.Pool
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		pool.Close()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		env := pool.Shared(t)
//		client, err := dynamic.NewForConfig(env.Config())
//		// ...
//	}
package kubetest
