// Package charttest holds the offline tests of the deployment artefacts: the
// Helm chart in ../checkout (helm lint --strict, rendering with several value
// sets, every manifest decoded strictly into the Kubernetes API types), the
// Grafana dashboard and the Dockerfile.
//
// It is a module of its own so that the root module never gains Helm's
// dependency tree.
package charttest
