package kubetest_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/talospatch/talospatch/internal/kubetest"
)

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
