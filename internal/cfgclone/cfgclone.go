// Package cfgclone deep-copies machinery config providers.
//
// machinery's Provider.Clone (machinery v1.13.0) is not deep everywhere: v1alpha1.Endpoint's
// DeepCopyInto copies the *url.URL pointer, and the generated DeepCopy of the machine section
// shares the machine.nodeAnnotations map. A strategic merge patch writes through both, so
// patching a Clone would change the original's control-plane endpoint or annotations. Deep gives
// them their own copies; config and patches both clone through it so neither ever changes a
// caller's config.
package cfgclone

import (
	"maps"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
)

// Deep returns a copy of cfg that shares no memory with it.
func Deep(cfg config.Provider) config.Provider {
	c := cfg.Clone()

	ctr, ok := c.(*container.Container)
	if !ok || ctr.Readonly() {
		return c
	}

	v := ctr.RawV1Alpha1()
	if v == nil {
		return c
	}

	if v.ClusterConfig != nil && v.ClusterConfig.ControlPlane != nil {
		ownURL(v.ClusterConfig.ControlPlane.Endpoint)
	}

	if v.MachineConfig != nil {
		v.MachineConfig.MachineNodeAnnotations = maps.Clone(v.MachineConfig.MachineNodeAnnotations)
	}

	if v.MachineConfig != nil && v.MachineConfig.MachineLogging != nil {
		for i := range v.MachineConfig.MachineLogging.LoggingDestinations {
			ownURL(v.MachineConfig.MachineLogging.LoggingDestinations[i].LoggingEndpoint)
		}
	}

	return c
}

// ownURL replaces e's URL with a copy, user info included.
func ownURL(e *v1alpha1.Endpoint) {
	if e == nil || e.URL == nil {
		return
	}

	u := *e.URL

	if u.User != nil {
		user := *u.User
		u.User = &user
	}

	e.URL = &u
}
