// mayday-nx-cache serves Nx's self-hosted remote cache API (GET and PUT /v1/cache/{hash}, Nx 20.8+, used by Nx when
// NX_SELF_HOSTED_REMOTE_CACHE_SERVER is set) from an S3 bucket: AWS S3, MinIO or any S3-compatible store.
//
// An entry is written once and never replaced (a conditional PUT, If-None-Match: *), so a build cannot swap the
// output another build already published; a read-only token lets pull-request builds read without writing.
//
//	AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… MAYDAY_CACHE_TOKEN=… [MAYDAY_CACHE_READ_TOKEN=…] \
//	  mayday-nx-cache --listen 127.0.0.1:8787 --endpoint s3.eu-west-1.amazonaws.com --bucket acme-nx-cache
package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

var validHash = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

type server struct {
	store      *minio.Client
	bucket     string
	prefix     string
	writeToken string
	readToken  string
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8787", "address to serve the Nx cache API on")
	endpoint := flag.String("endpoint", "s3.amazonaws.com", "S3 endpoint (host[:port])")
	insecure := flag.Bool("insecure", false, "talk plain HTTP to the S3 endpoint (a local MinIO)")
	region := flag.String("region", "", "S3 region (empty: ask the endpoint)")
	bucket := flag.String("bucket", "", "bucket that holds the cache entries")
	prefix := flag.String("prefix", "nx/", "key prefix of the entries in the bucket")
	createBucket := flag.Bool("create-bucket", false, "create the bucket when it does not exist")
	flag.Parse()

	s := &server{
		bucket:     *bucket,
		prefix:     *prefix,
		writeToken: os.Getenv("MAYDAY_CACHE_TOKEN"),
		readToken:  os.Getenv("MAYDAY_CACHE_READ_TOKEN"),
	}
	if s.bucket == "" {
		fatal("--bucket is required: the S3 bucket that holds the cache entries")
	}
	if s.writeToken == "" {
		fatal("MAYDAY_CACHE_TOKEN is not set: give the read-write token Nx sends (NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN)")
	}
	store, err := minio.New(*endpoint, &minio.Options{
		Creds:  credentials.NewChainCredentials([]credentials.Provider{&credentials.EnvAWS{}, &credentials.EnvMinio{}, &credentials.IAM{}}),
		Secure: !*insecure,
		Region: *region,
	})
	if err != nil {
		fatal("S3 endpoint %s: %v", *endpoint, err)
	}
	s.store = store
	if err := s.checkBucket(*createBucket, *region); err != nil {
		fatal("%v", err)
	}

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		fatal("cannot listen on %s: %v", *listen, err)
	}
	httpServer := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = httpServer.Shutdown(ctx)
	}()
	fmt.Printf("mayday-nx-cache: serving http://%s/v1/cache from s3://%s/%s at %s\n", listener.Addr(), s.bucket, s.prefix, *endpoint)
	if err := httpServer.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fatal("%v", err)
	}
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mayday-nx-cache: "+format+"\n", args...)
	os.Exit(2)
}

func (s *server) checkBucket(create bool, region string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	exists, err := s.store.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("cannot reach bucket %s: %w", s.bucket, err)
	}
	if exists {
		return nil
	}
	if !create {
		return fmt.Errorf("bucket %s does not exist: create it, or pass --create-bucket", s.bucket)
	}
	return s.store.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /v1/cache/{hash}", s.get)
	mux.HandleFunc("PUT /v1/cache/{hash}", s.put)
	return mux
}

// access is what the request's bearer token allows: "write" (read and write), "read", or "" (nothing).
func (s *server) access(r *http.Request) string {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok || token == "":
		return ""
	case subtle.ConstantTimeCompare([]byte(token), []byte(s.writeToken)) == 1:
		return "write"
	case s.readToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.readToken)) == 1:
		return "read"
	}
	return ""
}

func (s *server) get(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	if !validHash.MatchString(hash) {
		http.Error(w, "invalid hash", http.StatusBadRequest)
		return
	}
	if s.access(r) == "" {
		http.Error(w, "missing or unknown access token", http.StatusUnauthorized)
		return
	}
	object, err := s.store.GetObject(r.Context(), s.bucket, s.prefix+hash, minio.GetObjectOptions{})
	if err == nil {
		var info minio.ObjectInfo
		if info, err = object.Stat(); err == nil {
			defer object.Close()
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", fmt.Sprint(info.Size))
			if _, err := io.Copy(w, object); err != nil {
				log.Printf("GET %s: %v", hash, err)
			}
			return
		}
	}
	if minio.ToErrorResponse(err).Code == "NoSuchKey" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	log.Printf("GET %s: %v", hash, err)
	http.Error(w, "storage unavailable", http.StatusBadGateway)
}

func (s *server) put(w http.ResponseWriter, r *http.Request) {
	hash := r.PathValue("hash")
	if !validHash.MatchString(hash) {
		http.Error(w, "invalid hash", http.StatusBadRequest)
		return
	}
	switch s.access(r) {
	case "":
		http.Error(w, "missing or unknown access token", http.StatusUnauthorized)
		return
	case "read":
		http.Error(w, "this token can only read", http.StatusForbidden)
		return
	}
	if r.ContentLength < 0 {
		http.Error(w, "Content-Length is required", http.StatusLengthRequired)
		return
	}
	options := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	options.SetMatchETagExcept("*") // written once: never replace what another build published
	_, err := s.store.PutObject(r.Context(), s.bucket, s.prefix+hash, r.Body, r.ContentLength, options)
	if err == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	if code := minio.ToErrorResponse(err).Code; code == "PreconditionFailed" || code == "ConditionalRequestConflict" {
		http.Error(w, "cannot override an existing record", http.StatusConflict)
		return
	}
	log.Printf("PUT %s: %v", hash, err)
	http.Error(w, "storage unavailable", http.StatusBadGateway)
}
