package server

import "github.com/safetrace/safetrace/compute"

// SetTestHook makes s call hook at stages of its exposure epochs ("agreed",
// "sealed"); an error from hook aborts the attempt there.
func SetTestHook(s *Server, hook func(run *compute.Run, stage string) error) { s.hook = hook }
