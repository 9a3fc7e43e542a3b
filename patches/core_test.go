package patches_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
)

func TestApplyGuideJSONOnMultiDoc(t *testing.T) {
	t.Parallel()

	cfg := genBytes(t, "v1.13", machine.TypeControlPlane)
	orig := bytes.Clone(cfg)

	p := patches.MustParse(`[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`)
	require.Equal(t, patches.KindJSON6902, p.Kind())

	out, err := patches.Apply(cfg, p)
	require.NoError(t, err)
	require.Equal(t, orig, cfg)

	prov, err := configloader.NewFromBytes(out)
	require.NoError(t, err)
	require.Equal(t, "none", prov.Cluster().Network().CNI().Name())
	require.Len(t, prov.Documents(), 2)
}

func TestInlineManifestReplaceByName(t *testing.T) {
	t.Parallel()

	cfg := genBytes(t, "v1.13", machine.TypeControlPlane)

	out, err := patches.Apply(cfg,
		patches.InlineManifest("cilium", "a: 1\n"),
		patches.InlineManifest("other", "b: 2\n"),
		patches.InlineManifest("cilium", "a: 3\n"),
	)
	require.NoError(t, err)

	prov, err := configloader.NewFromBytes(out)
	require.NoError(t, err)

	ms := prov.Cluster().InlineManifests()
	require.Len(t, ms, 2)
	require.Equal(t, "other", ms[0].Name())
	require.Equal(t, "cilium", ms[1].Name())
	require.Equal(t, "a: 3\n", ms[1].Contents())
}

func TestStrictReplaceMissing(t *testing.T) {
	t.Parallel()

	cfg := genBytes(t, "v1.13", machine.TypeControlPlane)

	_, err := patches.Apply(cfg, patches.MustParse(`[{"op":"replace","path":"/cluster/nope","value":1}]`))
	require.Error(t, err)
	require.True(t, errors.Is(err, patches.ErrMissingPath), err.Error())

	var pe *patches.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 0, pe.Op)
	require.Equal(t, "/cluster/nope", pe.Path)
	t.Log(err)
}
