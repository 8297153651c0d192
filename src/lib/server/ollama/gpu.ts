// GPU readiness (roadmap "Ollama GPU readiness check"): is a GPU usable for inference?
// Two signs: device nodes under the dev root (VMW_DEV_ROOT: /dev, or /host/rootfs/dev
// in the container) and loaded models that Ollama reports in VRAM (size_vram > 0).
import { readdirSync } from 'node:fs';
import path from 'node:path';

export interface GpuDevice {
	/** e.g. /dev/nvidia0 */
	path: string;
	kind: 'nvidia' | 'amd-rocm' | 'dri-render';
}

/** NVIDIA (/dev/nvidiaN), AMD ROCm (/dev/kfd) and DRM render nodes (/dev/dri/renderD*: Intel, AMD, virtio-gpu). */
export function findGpuDevices(devRoot: string): GpuDevice[] {
	const list = (dir: string) => {
		try {
			return readdirSync(dir);
		} catch {
			return [];
		}
	};
	const shown = (...parts: string[]) => path.posix.join('/dev', ...parts);
	const out: GpuDevice[] = [];
	for (const e of list(devRoot).sort()) {
		if (/^nvidia\d+$/.test(e)) out.push({ path: shown(e), kind: 'nvidia' });
		if (e === 'kfd') out.push({ path: shown(e), kind: 'amd-rocm' });
	}
	for (const e of list(path.join(devRoot, 'dri')).sort())
		if (/^renderD\d+$/.test(e)) out.push({ path: shown('dri', e), kind: 'dri-render' });
	return out;
}

export interface GpuReadiness {
	state: 'none' | 'available' | 'in-use' | 'unused';
	devices: GpuDevice[];
	/** models with part of them in VRAM, and the share */
	inVram: { model: string; vramPct: number }[];
	message: string;
}

const KIND_NAMES: Record<GpuDevice['kind'], string> = {
	nvidia: 'NVIDIA',
	'amd-rocm': 'AMD (ROCm)',
	'dri-render': 'DRM render node'
};

/** Pure: devices found + what /api/ps says (null when Ollama is unavailable) → the GPU line. */
export function gpuReadiness(
	devices: GpuDevice[],
	loaded: { name: string; sizeBytes: number; sizeVramBytes: number }[] | null
): GpuReadiness {
	const inVram = (loaded ?? [])
		.filter((m) => m.sizeVramBytes > 0)
		.map((m) => ({
			model: m.name,
			vramPct: m.sizeBytes > 0 ? Math.round((m.sizeVramBytes / m.sizeBytes) * 100) : 0
		}));
	const vram = inVram.map((m) => `${m.model} ${m.vramPct} % in VRAM`).join(', ');
	const gpu = devices.length
		? `${KIND_NAMES[devices[0].kind]} (${devices.map((d) => d.path).join(', ')})`
		: '';
	if (inVram.length)
		return {
			state: 'in-use',
			devices,
			inVram,
			message: `GPU in use${gpu ? `: ${gpu}` : ''} — ${vram}`
		};
	if (!devices.length)
		return { state: 'none', devices, inVram, message: 'GPU: none — inference will run on CPU' };
	if (loaded && loaded.length)
		return {
			state: 'unused',
			devices,
			inVram,
			message: `GPU: ${gpu} present, but the loaded model${loaded.length > 1 ? 's run' : ' runs'} on CPU (0 % in VRAM)`
		};
	return { state: 'available', devices, inVram, message: `GPU: ${gpu} available` };
}
