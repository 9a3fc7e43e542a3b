kubectl create namespace net
kubectl label namespace net pod-security.kubernetes.io/enforce=privileged
helm install cilium cilium/cilium --version 1.20.0 --namespace net --values 'my values.yaml'
