package kubetest_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/talospatch/talospatch/internal/kubetest"
)

var pool kubetest.Pool

func TestMain(m *testing.M) {
	code := m.Run()
	pool.Close()
	os.Exit(code)
}

func TestStart(t *testing.T) {
	t.Parallel()

	env := kubetest.Start(t)

	client, err := kubernetes.NewForConfig(env.Config())
	require.NoError(t, err)

	ns, err := client.CoreV1().Namespaces().Get(t.Context(), "kube-system", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "kube-system", ns.Name)

	version, err := client.Discovery().ServerVersion()
	require.NoError(t, err)
	require.Equal(t, "1", version.Major)

	// The kubeconfig file reaches the same server as the admin.
	config, err := clientcmd.BuildConfigFromFlags("", env.Kubeconfig)
	require.NoError(t, err)
	require.Equal(t, env.Host, config.Host)

	client, err = kubernetes.NewForConfig(config)
	require.NoError(t, err)

	_, err = client.CoreV1().Namespaces().Get(t.Context(), "default", metav1.GetOptions{})
	require.NoError(t, err)
}

func TestPoolFreshIsEmptyAndSharedIsShared(t *testing.T) {
	t.Parallel()

	shared := pool.Shared(t)
	require.Same(t, shared, pool.Shared(t))

	client, err := kubernetes.NewForConfig(shared.Config())
	require.NoError(t, err)

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "only-in-shared", Namespace: "default"}}
	_, err = client.CoreV1().ConfigMaps("default").Create(t.Context(), cm, metav1.CreateOptions{})
	require.NoError(t, err)

	fresh := pool.Fresh(t)
	require.NotEqual(t, shared.Host, fresh.Host)
	require.NotEqual(t, shared.EtcdPrefix, fresh.EtcdPrefix)

	client, err = kubernetes.NewForConfig(fresh.Config())
	require.NoError(t, err)

	_, err = client.CoreV1().ConfigMaps("default").Get(t.Context(), "only-in-shared", metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "a fresh cluster sees the shared one's objects: %v", err)
}
