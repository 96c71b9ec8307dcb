package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Analytics limits by default (serve.analytics_concurrency,
// serve.analytics_timeout).
const (
	DefaultAnalyticsConcurrency = 2
	DefaultAnalyticsTimeout     = 30 * time.Second
)

// ErrAnalyticsBusy is the error of an expensive analytics request refused
// because Options.AnalyticsConcurrency computations are running.
var ErrAnalyticsBusy = errors.New("analytics busy")

// ErrAnalyticsTimeout is the cause with which an analytics computation is
// stopped at Options.AnalyticsTimeout.
var ErrAnalyticsTimeout = errors.New("analytics computation reached serve.analytics_timeout")

// registerAnalyticsMetrics exposes the running analytics computations.
func (s *Server) registerAnalyticsMetrics() {
	s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "threatgraph_analytics_running",
		Help: "Analytics computations (communities, centrality, paths, neighbors, preceded) running, shared ones counted once.",
	}, func() float64 { return float64(s.analyticsRunning.Load()) }))
}

// AnalyticsRunning is how many analytics computations are running.
func (s *Server) AnalyticsRunning() int64 { return s.analyticsRunning.Load() }

// takeAnalyticsSlot takes a slot of the analytics concurrency limit, or
// answers 503 when none is free.
func (s *Server) takeAnalyticsSlot() (release func(), err error) {
	select {
	case s.analyticsSlots <- struct{}{}:
	default:
		n := cap(s.analyticsSlots)
		return nil, &Error{Status: http.StatusServiceUnavailable,
			Msg:    fmt.Sprintf("%v: %d analytics computations are running, the most at once (serve.analytics_concurrency); retry in a second", ErrAnalyticsBusy, n),
			Detail: map[string]int{"concurrency": n, "retry_after_seconds": 1}}
	}
	s.analyticsRunning.Add(1)
	return func() { s.analyticsRunning.Add(-1); <-s.analyticsSlots }, nil
}

// analyticsContext is ctx bounded by serve.analytics_timeout.
func (s *Server) analyticsContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, s.opts.AnalyticsTimeout, ErrAnalyticsTimeout)
}

// analyticsError turns err of a computation run under ctx into 408 when
// ctx reached the analytics deadline.
func (s *Server) analyticsError(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && errors.Is(context.Cause(ctx), ErrAnalyticsTimeout) {
		return &Error{Status: http.StatusRequestTimeout, Msg: fmt.Sprintf("%v (%v)", ErrAnalyticsTimeout, s.opts.AnalyticsTimeout),
			Detail: map[string]string{"limit": s.opts.AnalyticsTimeout.String()}}
	}
	return err
}

// analytics runs fn with the request's context bounded by the analytics
// deadline; when limited, fn also takes a slot of the concurrency limit
// for as long as it runs. fn stops when the client goes (its context is
// the request's).
func (s *Server) analytics(r *http.Request, limited bool, fn func(ctx context.Context) (any, error)) (any, error) {
	if limited {
		release, err := s.takeAnalyticsSlot()
		if err != nil {
			return nil, err
		}
		defer release()
	}
	ctx, cancel := s.analyticsContext(r.Context())
	defer cancel()
	res, err := fn(ctx)
	return res, s.analyticsError(ctx, err)
}
