// GPU readiness from a fake dev root and /api/ps figures.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findGpuDevices, gpuReadiness } from './gpu';

describe('findGpuDevices', () => {
	let dev: string;
	beforeEach(async () => {
		dev = await mkdtemp(path.join(tmpdir(), 'vmw-dev-'));
	});
	afterEach(async () => rm(dev, { recursive: true, force: true }));

	it('finds nothing on a VM without a GPU (null, tty, a dri card node without render node)', async () => {
		for (const f of ['null', 'tty0', 'nvidiactl', 'nvidia-uvm'])
			await writeFile(path.join(dev, f), '');
		await mkdir(path.join(dev, 'dri'));
		await writeFile(path.join(dev, 'dri', 'card0'), '');
		// nvidiactl and nvidia-uvm exist with the driver alone; only /dev/nvidiaN is a GPU
		expect(findGpuDevices(dev)).toEqual([]);
		expect(findGpuDevices(path.join(dev, 'missing'))).toEqual([]);
	});

	it('finds NVIDIA, ROCm and render nodes, named as /dev paths whatever the root', async () => {
		for (const f of ['nvidia1', 'nvidia0', 'kfd']) await writeFile(path.join(dev, f), '');
		await mkdir(path.join(dev, 'dri'));
		await writeFile(path.join(dev, 'dri', 'renderD128'), '');
		expect(findGpuDevices(dev)).toEqual([
			{ path: '/dev/kfd', kind: 'amd-rocm' },
			{ path: '/dev/nvidia0', kind: 'nvidia' },
			{ path: '/dev/nvidia1', kind: 'nvidia' },
			{ path: '/dev/dri/renderD128', kind: 'dri-render' }
		]);
	});
});

describe('gpuReadiness', () => {
	const nvidia = [{ path: '/dev/nvidia0', kind: 'nvidia' as const }];
	// api-ps.loaded.json: size_vram 0
	const onCpu = [{ name: 'qwen2.5-coder:1.5b', sizeBytes: 1181116006, sizeVramBytes: 0 }];

	it.each([
		[[], onCpu, 'none', 'GPU: none — inference will run on CPU'],
		[[], null, 'none', 'GPU: none — inference will run on CPU'],
		[nvidia, [], 'available', 'GPU: NVIDIA (/dev/nvidia0) available'],
		[
			nvidia,
			onCpu,
			'unused',
			'GPU: NVIDIA (/dev/nvidia0) present, but the loaded model runs on CPU (0 % in VRAM)'
		],
		// 885 837 005 / 1 181 116 006 = 75.0 %
		[
			nvidia,
			[{ name: 'qwen2.5-coder:1.5b', sizeBytes: 1181116006, sizeVramBytes: 885837005 }],
			'in-use',
			'GPU in use: NVIDIA (/dev/nvidia0) — qwen2.5-coder:1.5b 75 % in VRAM'
		],
		// VRAM reported but no device node visible (dev root not mounted into the container)
		[
			[],
			[{ name: 'm', sizeBytes: 100, sizeVramBytes: 100 }],
			'in-use',
			'GPU in use — m 100 % in VRAM'
		]
	] as const)('%j + %j -> %s', (devices, loaded, state, message) => {
		expect(gpuReadiness([...devices], loaded ? [...loaded] : null)).toMatchObject({
			state,
			message
		});
	});
});
