// The Docker adapter's public surface: import from '$lib/server/docker' (or '../docker').
export { createDockerApi, DOCKER_API_CALLS, DockerUnavailableError, ContainerGoneError, DockerApiError } from './api';
export type { DockerApi, DockerApiOptions, DockerCallName, RawContainerInspect, RawContainerStats, RawContainerSummary } from './api';
export { createDockerAdapter } from './adapter';
export type { DockerAdapter, DockerAdapterOptions, DockerStatus } from './adapter';
export { findContainer, healthFromStatus, toContainerInfo, CONTAINER_STATES } from './model';
export type { ContainerInfo, ContainerState, HealthResult, HealthStatus } from './model';
export { modemOptions } from './connection';
export type { DockerConnection } from './connection';
