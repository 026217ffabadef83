// Command gatewayapi is an Argo Rollouts traffic router plugin that shifts a canary's traffic by the weights of a
// Gateway API HTTPRoute. It takes the name and configuration of Argo's own plugin (argoproj-labs/gatewayAPI with
// {"httpRoute": …, "namespace": …}), so a Rollout rendered by mayday's chart works with either; it exists because
// the Go module proxy the lab builds from does not serve argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi.
// Only weights are supported: header and mirror routes are refused with a message.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/argoproj/argo-rollouts/rollout/trafficrouting/plugin/rpc"
	"github.com/argoproj/argo-rollouts/utils/plugin/types"
	goPlugin "github.com/hashicorp/go-plugin"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
)

// PluginName is the key under spec.strategy.canary.trafficRouting.plugins, as in Argo's own plugin.
const PluginName = "argoproj-labs/gatewayAPI"

var httpRoutes = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}

// routeConfig is the plugin's configuration in a Rollout: one route by name, or several.
type routeConfig struct {
	HTTPRoute  string `json:"httpRoute,omitempty"`
	HTTPRoutes []struct {
		Name string `json:"name"`
	} `json:"httpRoutes,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

type router struct {
	client dynamic.Interface
}

func (r *router) InitPlugin() types.RpcError {
	config, err := rest.InClusterConfig()
	if err != nil {
		return failure("no in-cluster Kubernetes configuration: %v", err)
	}
	client, err := dynamic.NewForConfig(config)
	if err != nil {
		return failure("Kubernetes client: %v", err)
	}
	r.client = client
	return types.RpcError{}
}

func (r *router) SetWeight(rollout *v1alpha1.Rollout, desiredWeight int32, additional []v1alpha1.WeightDestination) types.RpcError {
	if len(additional) > 0 {
		return failure("%s: additional weight destinations (experiments) are not supported", PluginName)
	}
	canary := rollout.Spec.Strategy.Canary
	if canary == nil || canary.CanaryService == "" || canary.StableService == "" {
		return failure("%s: the Rollout %s/%s needs canaryService and stableService", PluginName, rollout.Namespace, rollout.Name)
	}
	namespace, names, err := routesOf(rollout)
	if err != nil {
		return failure("%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range names {
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			route, err := r.client.Resource(httpRoutes).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			changed, err := setBackendWeights(route, canary.StableService, canary.CanaryService, desiredWeight)
			if err != nil || !changed {
				return err
			}
			_, err = r.client.Resource(httpRoutes).Namespace(namespace).Update(ctx, route, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			return failure("%s: HTTPRoute %s/%s: %v", PluginName, namespace, name, err)
		}
	}
	return types.RpcError{}
}

// setBackendWeights gives the canary service desiredWeight and the stable service the rest, in every rule that
// routes to both; it says whether anything changed.
func setBackendWeights(route *unstructured.Unstructured, stable, canary string, desiredWeight int32) (bool, error) {
	rules, _, err := unstructured.NestedSlice(route.Object, "spec", "rules")
	if err != nil {
		return false, err
	}
	changed, matched := false, false
	for i, rawRule := range rules {
		rule, ok := rawRule.(map[string]any)
		if !ok {
			continue
		}
		refs, _, _ := unstructured.NestedSlice(rule, "backendRefs")
		if !routesTo(refs, stable) || !routesTo(refs, canary) {
			continue
		}
		matched = true
		for j, rawRef := range refs {
			ref, ok := rawRef.(map[string]any)
			if !ok {
				continue
			}
			want := int64(-1)
			switch ref["name"] {
			case canary:
				want = int64(desiredWeight)
			case stable:
				want = int64(100 - desiredWeight)
			}
			if current, ok := ref["weight"].(int64); want >= 0 && (!ok || current != want) {
				ref["weight"] = want
				refs[j] = ref
				changed = true
			}
		}
		rule["backendRefs"] = refs
		rules[i] = rule
	}
	if !matched {
		return false, fmt.Errorf("no rule routes to both %s and %s", stable, canary)
	}
	if changed {
		if err := unstructured.SetNestedSlice(route.Object, rules, "spec", "rules"); err != nil {
			return false, err
		}
	}
	return changed, nil
}

func routesTo(refs []any, service string) bool {
	for _, raw := range refs {
		if ref, ok := raw.(map[string]any); ok && ref["name"] == service {
			return true
		}
	}
	return false
}

func routesOf(rollout *v1alpha1.Rollout) (string, []string, error) {
	raw, ok := rollout.Spec.Strategy.Canary.TrafficRouting.Plugins[PluginName]
	if !ok {
		return "", nil, fmt.Errorf("%s: the Rollout %s/%s has no %q plugin configuration", PluginName, rollout.Namespace, rollout.Name, PluginName)
	}
	var config routeConfig
	if err := json.Unmarshal(raw, &config); err != nil {
		return "", nil, fmt.Errorf("%s: configuration of %s/%s: %v", PluginName, rollout.Namespace, rollout.Name, err)
	}
	namespace := config.Namespace
	if namespace == "" {
		namespace = rollout.Namespace
	}
	names := []string{}
	if config.HTTPRoute != "" {
		names = append(names, config.HTTPRoute)
	}
	for _, route := range config.HTTPRoutes {
		names = append(names, route.Name)
	}
	if len(names) == 0 {
		return "", nil, fmt.Errorf("%s: configuration of %s/%s names no httpRoute", PluginName, rollout.Namespace, rollout.Name)
	}
	return namespace, names, nil
}

func (r *router) UpdateHash(*v1alpha1.Rollout, string, string, []v1alpha1.WeightDestination) types.RpcError {
	return types.RpcError{}
}

func (r *router) SetHeaderRoute(rollout *v1alpha1.Rollout, route *v1alpha1.SetHeaderRoute) types.RpcError {
	if route != nil && len(route.Match) > 0 {
		return failure("%s: header routes (setHeaderRoute) are not supported by this plugin", PluginName)
	}
	return types.RpcError{}
}

func (r *router) SetMirrorRoute(rollout *v1alpha1.Rollout, route *v1alpha1.SetMirrorRoute) types.RpcError {
	if route != nil && len(route.Match) > 0 {
		return failure("%s: mirror routes (setMirrorRoute) are not supported by this plugin", PluginName)
	}
	return types.RpcError{}
}

// VerifyWeight is not implemented: the Rollouts controller then trusts SetWeight, as with most routers.
func (r *router) VerifyWeight(*v1alpha1.Rollout, int32, []v1alpha1.WeightDestination) (types.RpcVerified, types.RpcError) {
	return types.NotImplemented, types.RpcError{}
}

func (r *router) RemoveManagedRoutes(*v1alpha1.Rollout) types.RpcError {
	return types.RpcError{}
}

func (r *router) Type() string {
	return "GatewayAPI"
}

func failure(format string, args ...any) types.RpcError {
	return types.RpcError{ErrorString: fmt.Sprintf(format, args...)}
}

// install copies this binary to path: an init container puts the plugin where the Rollouts controller loads it
// (its image has no shell and no cp).
func install(path string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	binary, err := os.ReadFile(self)
	if err != nil {
		return err
	}
	return os.WriteFile(path, binary, 0o755)
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "install" {
		if err := install(os.Args[2]); err != nil {
			fmt.Fprintf(os.Stderr, "install %s: %v\n", os.Args[2], err)
			os.Exit(1)
		}
		return
	}
	fmt.Fprintf(os.Stderr, "%s traffic router plugin starting\n", PluginName)
	goPlugin.Serve(&goPlugin.ServeConfig{
		HandshakeConfig: goPlugin.HandshakeConfig{
			ProtocolVersion:  1,
			MagicCookieKey:   "ARGO_ROLLOUTS_RPC_PLUGIN",
			MagicCookieValue: "trafficrouter",
		},
		Plugins: map[string]goPlugin.Plugin{"RpcTrafficRouterPlugin": &rpc.RpcTrafficRouterPlugin{Impl: &router{}}},
	})
}
