package nodeencode

import (
	"testing"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/types/k8s"
	"github.com/stretchr/testify/require"
)

// TestDocSplicer: the KubeNodeConfig and HostnameConfig documents of v1.14 role configs are taken
// apart and put back together exactly, and a document whose encoding has a key its struct does
// not explain is not spliced.
func TestDocSplicer(t *testing.T) {
	t.Parallel()

	cp, w := internalTestRoles(t, "v1.14")

	for _, base := range []coreconfig.Provider{w, cp} {
		e, err := New(base)
		require.NoError(t, err)

		spliced := 0

		for _, d := range e.docs {
			if kind := d.doc.Kind(); kind == "KubeNodeConfig" || kind == "HostnameConfig" {
				d.prepareMerges()

				require.True(t, d.plain, d.doc.Kind())
				require.NotNil(t, d.splice, d.doc.Kind())
				require.Equal(t, string(d.enc), string(d.splice.join(nil)))

				spliced++
			}
		}

		require.Equal(t, 2, spliced)
	}

	doc := k8s.NewKubeNodeConfigV1Alpha1()
	doc.LabelsConfig = map[string]string{"a": "b"}

	enc, err := marshalDocument(doc)
	require.NoError(t, err)
	require.NotNil(t, newDocSplicer(doc, enc))
	require.Nil(t, newDocSplicer(doc, append(enc, []byte("unknown: 1\n")...)), "a key the struct does not explain")
	require.Nil(t, newDocSplicer(doc, enc[:len(enc)-1]), "not reassembled exactly")
}
