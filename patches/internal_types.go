package patches

import (
	"github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
)

type v1alpha1InlineManifest = v1alpha1.ClusterInlineManifest

func newContainer(docs ...config.Document) (*container.Container, error) {
	return container.New(docs...)
}

func encoderNoComments() []encoder.Option {
	return []encoder.Option{encoder.WithComments(encoder.CommentsDisabled)}
}
