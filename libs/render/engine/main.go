// mayday-engine renders Helm charts for many requests in one long-lived process, with Helm's own install action
// in client-only dry-run mode: the code path `helm template` runs, without starting a Helm process per render.
//
// Protocol: one JSON request per line on stdin, one JSON response per line on stdout, in completion order:
//
//	{"id":1,"release":"shop","chart":"/abs/platform/charts/app","namespace":"shop-prd","kubeVersion":"1.35.0",
//	 "valuesFiles":["/abs/apps/shop/values.yaml"],"jsonValues":["platform={...}"]}
//	{"id":1,"manifest":"---\n# Source: app/templates/service.yaml\n..."}   or   {"id":1,"error":"Error: ..."}
//
// `manifest` is byte for byte what `helm template` prints on stdout and `error` what it prints on stderr. Requests
// render in parallel (--parallel, default one per CPU); the engine exits when stdin closes and every render is done.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/getter"
	release "helm.sh/helm/v4/pkg/release/v1"
)

const helmModule = "helm.sh/helm/v4"

// Request is one `helm template <release> <chart> --namespace --kube-version --values... --set-json...` call.
type Request struct {
	ID          int64    `json:"id"`
	Release     string   `json:"release"`
	Chart       string   `json:"chart"`
	Namespace   string   `json:"namespace"`
	KubeVersion string   `json:"kubeVersion"`
	ValuesFiles []string `json:"valuesFiles"`
	JSONValues  []string `json:"jsonValues"`
}

// Response carries Helm's stdout (manifest) or its stderr (error), never both.
type Response struct {
	ID       int64  `json:"id"`
	Manifest string `json:"manifest,omitempty"`
	Error    string `json:"error,omitempty"`
}

func main() {
	parallel := flag.Int("parallel", runtime.NumCPU(), "renders at a time")
	version := flag.Bool("version", false, "print the engine's Helm and Go versions and exit")
	stats := flag.Bool("stats", false, "print the number of renders and the peak RSS on stderr at exit")
	flag.Parse()
	if *version {
		fmt.Println(versionLine())
		return
	}
	// Helm's warnings go where `helm template` prints them: stderr. stdout carries only responses.
	log.SetOutput(os.Stderr)
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

	count, err := serve(os.Stdin, os.Stdout, max(1, *parallel))
	if *stats {
		fmt.Fprintf(os.Stderr, "mayday-engine: %d renders, peak RSS %d KiB\n", count, peakRSSKiB())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mayday-engine: %v\n", err)
		os.Exit(1)
	}
}

// versionLine names what decides the bytes the engine renders: the Helm module it was built with, and Go.
func versionLine() string {
	helm := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == helmModule {
				helm = dep.Version
			}
		}
	}
	return fmt.Sprintf("mayday-engine helm %s %s", helm, runtime.Version())
}

// serve renders every request read from in with `parallel` workers and writes each response as one line.
func serve(in io.Reader, out io.Writer, parallel int) (int, error) {
	requests := make(chan Request)
	responses := make(chan Response)
	renderer := newRenderer()
	var workers sync.WaitGroup
	for range parallel {
		workers.Go(func() {
			for request := range requests {
				responses <- renderer.render(request)
			}
		})
	}
	written := make(chan error, 1)
	count := 0
	go func() {
		writer := bufio.NewWriter(out)
		encoder := json.NewEncoder(writer)
		encoder.SetEscapeHTML(false)
		var failed error
		for response := range responses {
			count++
			if failed != nil {
				continue // keep draining so the workers finish
			}
			if err := encoder.Encode(response); err != nil {
				failed = err
			} else if err := writer.Flush(); err != nil {
				failed = err
			}
		}
		written <- failed
	}()

	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 64*1024), 64*1024*1024)
	var readErr error
	for scanner.Scan() {
		line := scanner.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		var request Request
		if err := json.Unmarshal(line, &request); err != nil {
			readErr = fmt.Errorf("a request is not JSON (%v): %.200s", err, line)
			break
		}
		requests <- request
	}
	if readErr == nil {
		readErr = scanner.Err()
	}
	close(requests)
	workers.Wait()
	close(responses)
	if err := <-written; err != nil && readErr == nil {
		readErr = fmt.Errorf("writing a response: %w", err)
	}
	return count, readErr
}

type renderer struct {
	getters getter.Providers
	charts  *chartCache
}

func newRenderer() *renderer {
	return &renderer{getters: getter.All(cli.New()), charts: &chartCache{entries: map[string]*cachedChart{}}}
}

// render runs what `helm template` runs (pkg/cmd/template.go and runInstall in pkg/cmd/install.go) for one request.
func (r *renderer) render(request Request) Response {
	manifest, err := r.template(request)
	if err != nil {
		// cobra prints a command's error as "Error: <message>"
		return Response{ID: request.ID, Error: "Error: " + err.Error()}
	}
	return Response{ID: request.ID, Manifest: manifest}
}

func (r *renderer) template(request Request) (string, error) {
	client := action.NewInstall(action.NewConfiguration())
	if request.KubeVersion != "" {
		kubeVersion, err := common.ParseKubeVersion(request.KubeVersion)
		if err != nil {
			return "", fmt.Errorf("invalid kube version '%s': %w", request.KubeVersion, err)
		}
		client.KubeVersion = kubeVersion
	}
	client.DryRunStrategy = action.DryRunClient
	client.Replace = true
	client.APIVersions = common.VersionSet([]string{})

	name, chartRef, err := client.NameAndChart([]string{request.Release, request.Chart})
	if err != nil {
		return "", err
	}
	client.ReleaseName = name
	valueOptions := values.Options{ValueFiles: request.ValuesFiles, JSONValues: request.JSONValues}
	vals, err := valueOptions.MergeValues(r.getters)
	if err != nil {
		return "", err
	}
	chartRequested, err := r.charts.load(chartRef)
	if err != nil {
		return "", err
	}
	accessor, err := chart.NewAccessor(chartRequested)
	if err != nil {
		return "", err
	}
	switch kind := accessor.MetadataAsMap()["Type"]; kind {
	case "", "application":
	default:
		return "", fmt.Errorf("%s charts are not installable", kind)
	}
	if accessor.Deprecated() {
		slog.Warn("this chart is deprecated")
	}
	if req := accessor.MetaDependencies(); len(req) > 0 {
		if err := action.CheckDependencies(chartRequested, req); err != nil {
			return "", fmt.Errorf("an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: %w", err)
		}
	}
	client.Namespace = request.Namespace

	releaser, err := client.Run(chartRequested, vals)
	rel, convertErr := asRelease(releaser)
	if convertErr != nil {
		return "", convertErr
	}
	if err != nil {
		if rel != nil {
			return "", fmt.Errorf("%w\n\nUse --debug flag to render out invalid YAML", err)
		}
		return "", err
	}
	if rel == nil {
		return "", nil
	}
	var manifests strings.Builder
	fmt.Fprintln(&manifests, strings.TrimSpace(rel.Manifest))
	for _, hook := range rel.Hooks {
		fmt.Fprintf(&manifests, "---\n# Source: %s\n%s\n", hook.Path, hook.Manifest)
	}
	return manifests.String(), nil
}

func asRelease(releaser any) (*release.Release, error) {
	switch rel := releaser.(type) {
	case release.Release:
		return &rel, nil
	case *release.Release:
		return rel, nil
	case nil:
		return nil, nil
	default:
		return nil, fmt.Errorf("unsupported release type: %T", releaser)
	}
}

// chartCache loads a chart directory once and reuses it while its files are unchanged. Only a chart without
// dependencies is shared between renders: Helm's install action edits a chart's dependency list in place.
type chartCache struct {
	mu      sync.Mutex
	entries map[string]*cachedChart
}

type cachedChart struct {
	fingerprint string
	chart       *chartv2.Chart
}

func (c *chartCache) load(dir string) (chart.Charter, error) {
	fingerprint, err := fingerprintOf(dir)
	if err != nil {
		return loader.Load(dir) // not a readable directory: Helm says why
	}
	c.mu.Lock()
	entry := c.entries[dir]
	c.mu.Unlock()
	if entry != nil && entry.fingerprint == fingerprint {
		return entry.chart, nil
	}
	loaded, err := loader.Load(dir)
	if err != nil {
		return nil, err
	}
	if v2, ok := loaded.(*chartv2.Chart); ok && len(v2.Metadata.Dependencies) == 0 && len(v2.Dependencies()) == 0 {
		c.mu.Lock()
		c.entries[dir] = &cachedChart{fingerprint: fingerprint, chart: v2}
		c.mu.Unlock()
	}
	return loaded, nil
}

// fingerprintOf names every file of a chart directory with its size and modification time.
func fingerprintOf(dir string) (string, error) {
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s\x00%d\x00%d\x00%d\n", path, info.Mode(), info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return "", err
	}
	if b.Len() == 0 {
		return "", errors.New("empty chart directory")
	}
	return b.String(), nil
}

func peakRSSKiB() int64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return -1
	}
	return usage.Maxrss
}
