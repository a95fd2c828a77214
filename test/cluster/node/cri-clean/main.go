// cri-clean: stop and remove every pod sandbox (and its containers) on a CRI
// runtime, so the runtime tears down each pod's network (CNI DEL: veth, IPAM,
// portmap rules, netns) and mounts. crictl is not served by the Go module
// proxy here, so the node's down.sh uses this instead of `crictl rmp -af`.
//
//	cri-clean -endpoint unix:///run/shakedown-node/containerd.sock [-list]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func main() {
	endpoint := flag.String("endpoint", "unix:///run/shakedown-node/containerd.sock", "CRI endpoint")
	list := flag.Bool("list", false, "only list pod sandboxes and containers")
	timeout := flag.Duration("timeout", 2*time.Minute, "overall deadline")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conn, err := grpc.NewClient(*endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail("connect %s: %v", *endpoint, err)
	}
	defer conn.Close()
	rt := runtimeapi.NewRuntimeServiceClient(conn)

	pods, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		fail("ListPodSandbox: %v", err)
	}
	ctrs, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		fail("ListContainers: %v", err)
	}
	if *list {
		for _, p := range pods.Items {
			fmt.Printf("pod %s %s/%s %s\n", p.Id[:13], p.Metadata.Namespace, p.Metadata.Name, p.State)
		}
		for _, c := range ctrs.Containers {
			fmt.Printf("container %s %s pod=%s %s\n", c.Id[:13], c.Metadata.Name, c.PodSandboxId[:13], c.State)
		}
		return
	}
	failed := 0
	for _, c := range ctrs.Containers {
		if _, err := rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: c.Id, Timeout: 0}); err != nil {
			fmt.Fprintf(os.Stderr, "stop container %s: %v\n", c.Id[:13], err)
		}
	}
	for _, p := range pods.Items {
		name := p.Metadata.Namespace + "/" + p.Metadata.Name
		if _, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: p.Id}); err != nil {
			fmt.Fprintf(os.Stderr, "stop pod %s: %v\n", name, err)
			failed++
			continue
		}
		if _, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: p.Id}); err != nil {
			fmt.Fprintf(os.Stderr, "remove pod %s: %v\n", name, err)
			failed++
			continue
		}
	}
	fmt.Printf("removed %d pod sandboxes (%d containers), %d failures\n", len(pods.Items)-failed, len(ctrs.Containers), failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "cri-clean: "+format+"\n", a...)
	os.Exit(1)
}
