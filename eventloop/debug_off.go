//go:build !veloxdebug

package eventloop

// assertOwner checks, in veloxdebug builds, that the caller runs on l.
func (l *Loop) assertOwner() {}
