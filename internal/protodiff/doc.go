// Package protodiff explains how two messages differ, for people: one line
// per differing field by its path ("location.latitude: want 1, got 5"), and
// a (-want +got) diff as go-cmp with protocmp.Transform writes it, without
// the transform's wrapping ("(*dynamicpb.Message)(Inverse(protocmp.Transform,
// ...") and Go type annotations ("int32(5)"). expect's misses and replay's
// diagnostics both use it, for generated and dynamic messages alike.
package protodiff
