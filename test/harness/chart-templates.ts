// Templates of the test charts that the real helm packages: a Deployment named after the
// release, whose pod template a test may add to.

export interface DeploymentTemplate {
  image: string;
  /** the container's `args:` value, as template text */
  args?: string;
  /** the pod template's `annotations:` value, as template text */
  annotations?: string;
  /** template lines at the pod spec's indentation, before `containers:` */
  podSpec?: string;
}

export function deploymentTemplate({ image, args, annotations, podSpec }: DeploymentTemplate): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ .Release.Name }}',
    'spec:',
    '  replicas: 1',
    '  selector:',
    '    matchLabels: { app: {{ .Release.Name }} }',
    '  template:',
    '    metadata:',
    '      labels: { app: {{ .Release.Name }} }',
    ...(annotations ? [`      annotations: ${annotations}`] : []),
    '    spec:',
    ...(podSpec ? [podSpec.trimEnd()] : []),
    '      containers:',
    '        - name: app',
    `          image: ${image}`,
    ...(args ? [`          args: ${args}`] : []),
    '',
  ].join('\n');
}
