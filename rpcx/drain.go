package rpcx

// AppendReadonly appends Dubbo's readonly event to dst: a one-way event
// request whose body is the hessian2 string "R", which Dubbo servers send
// to their clients before they shut down so that new calls go elsewhere.
// velox sends it to its Dubbo clients when it drains. (Bolt has no such
// message in sofa-bolt-node: a draining Bolt listener just closes each
// connection once its requests are answered.)
func (*Dubbo) AppendReadonly(dst []byte) []byte {
	return appendDubboHeader(dst, dubboRequest|dubboEvent|DubboHessian2, 0, 0, []byte{0x01, 'R'})
}
