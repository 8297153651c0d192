// The Docker adapter's public surface: import from '$lib/server/docker' (or '../docker').
export {
	createDockerApi,
	createSelfTestDockerApi,
	SELFTEST_DOCKER_CALLS,
	DOCKER_API_CALLS,
	DockerUnavailableError,
	ContainerGoneError,
	DockerApiError
} from './api';
export type {
	DockerApi,
	SelfTestDockerApi,
	DockerApiOptions,
	DockerCallName,
	RawContainerInspect,
	RawContainerStats,
	RawContainerSummary
} from './api';
export { createDockerAdapter } from './adapter';
export type { DockerAdapter, DockerAdapterOptions, DockerStatus } from './adapter';
export { findContainer, healthFromStatus, toContainerInfo, CONTAINER_STATES } from './model';
export type { ContainerInfo, ContainerState, HealthResult, HealthStatus } from './model';
export { modemOptions } from './connection';
export type { DockerConnection } from './connection';
export {
	restartAndConfirm,
	stopTimeoutOf,
	LABEL_STOP_TIMEOUT,
	DEFAULT_STOP_TIMEOUT_S
} from './restart';
export type { ConfirmedRestart, RestartOptions } from './restart';
