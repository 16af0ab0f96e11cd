import type { Precision, VendorName } from '@kentaur/api';

export type PoolClass = 'training' | 'inference';

/**
 * One accelerator model. Figures are the vendor's per-board peak numbers, dense (no 2:4 sparsity),
 * exactly as /work/shared/reference/accelerator-vendors.md §5 gives them; a figure the reference does
 * not give stays undefined rather than guessed.
 */
export interface AcceleratorModel {
  vendor: VendorName;
  /** Catalog name: what pools, workloads (`accelerators.models`) and the Kentaur model label use. */
  model: string;
  /** Chip or architecture, where the reference names it. */
  chip?: string;
  /** Product strings and label values that identify the model (matched case-insensitively). */
  aliases: string[];
  /** PCI device IDs (lower-case hex) that identify exactly this model, where one ID means one model. */
  pciDeviceIds?: string[];
  /** Nominal device memory as the vendor states it. */
  memoryGB?: number;
  boardPowerW?: number;
  bf16DenseTFLOPS?: number;
  fp8DenseTFLOPS?: number;
  /** Only where the vendor publishes FP16 but not BF16 (Tenstorrent). */
  fp16DenseTFLOPS?: number;
  /** 1 CU = 1 PFLOP/s dense BF16 (bf16DenseTFLOPS / 1000, two decimals). */
  computeUnits?: number;
  precisions: Precision[];
  classes: PoolClass[];
  interconnect?: string;
  /** Chips on one board where more than one; the board is still one schedulable device. */
  devicesPerCard?: number;
}

/** Compute units from dense TFLOPS: 1 CU = 1 PFLOP/s, rounded to two decimals. */
export function computeUnitsFromTFLOPS(tflops: number): number {
  // Divide by 10 first so that e.g. 1835 → 183.5 rounds up exactly (1.835 * 100 would not).
  return Math.round(tflops / 10) / 100;
}

type Entry = Omit<AcceleratorModel, 'computeUnits'>;

// Hopper and Blackwell: FP8 needs compute capability ≥ 8.9 (§8.4); FP4 on Blackwell (§5).
const HOPPER: Precision[] = ['fp64', 'fp32', 'tf32', 'bf16', 'fp16', 'fp8', 'int8'];
const BLACKWELL: Precision[] = ['fp64', 'fp32', 'tf32', 'bf16', 'fp16', 'fp8', 'fp6', 'fp4', 'int8'];
// CDNA3 (gfx942) has FP8; CDNA4 (gfx950) adds MXFP6/MXFP4 (§5 notes).
const CDNA3: Precision[] = ['fp64', 'fp32', 'tf32', 'bf16', 'fp16', 'fp8', 'int8'];
const CDNA4: Precision[] = ['fp64', 'fp32', 'bf16', 'fp16', 'fp8', 'fp6', 'fp4', 'int8'];
const BOTH: PoolClass[] = ['training', 'inference'];

const NVIDIA: Entry[] = [
  {
    // NVIDIA H100 datasheet (sparse figures); dense: glennklockwood.com/garden/processors/h100
    vendor: 'nvidia',
    model: 'H100',
    chip: 'Hopper',
    aliases: ['NVIDIA-H100-80GB-HBM3', 'NVIDIA H100 80GB HBM3'],
    pciDeviceIds: ['2330'], // H100 SXM (mig-parted device filter)
    memoryGB: 80,
    boardPowerW: 700,
    bf16DenseTFLOPS: 989.4,
    fp8DenseTFLOPS: 1978.9,
    precisions: HOPPER,
    classes: BOTH,
    interconnect: 'NVLink 4, 900 GB/s per GPU',
  },
  {
    // nvidia.com/data-center/h200; MLPerf v4.1 H200-SXM-141GBx8 system JSON ("H200 TGP 700W")
    vendor: 'nvidia',
    model: 'H200',
    chip: 'Hopper',
    aliases: ['NVIDIA-H200', 'NVIDIA H200'],
    pciDeviceIds: ['2335'],
    memoryGB: 141,
    boardPowerW: 700,
    bf16DenseTFLOPS: 989.4,
    fp8DenseTFLOPS: 1978.9,
    precisions: HOPPER,
    classes: BOTH,
    interconnect: 'NVLink 4, 900 GB/s per GPU',
  },
  {
    // NVIDIA DGX/HGX B200 pages (180 GB usable, 1,000 W HGX); glennklockwood.com/garden/processors/B200
    vendor: 'nvidia',
    model: 'B200',
    chip: 'Blackwell',
    aliases: ['NVIDIA-B200', 'NVIDIA B200'],
    pciDeviceIds: ['2901'],
    memoryGB: 180,
    boardPowerW: 1000,
    bf16DenseTFLOPS: 2250,
    fp8DenseTFLOPS: 4500,
    precisions: BLACKWELL,
    classes: BOTH,
    interconnect: 'NVLink 5, 1.8 TB/s per GPU',
  },
];

const AMD: Entry[] = [
  {
    // ROCm mi300.md + rocm-docs gpu-specs.rst; MLPerf v4.1 AMD system JSON (750 W)
    vendor: 'amd',
    model: 'MI300X',
    chip: 'gfx942',
    aliases: ['AMD_Instinct_MI300X_OAM', 'AMD_Instinct_MI300X', 'AMD Instinct MI300X'],
    pciDeviceIds: ['74a1'], // ROCm gpu-operator NFD rule
    memoryGB: 192,
    boardPowerW: 750,
    bf16DenseTFLOPS: 1307.4,
    fp8DenseTFLOPS: 2614.9,
    precisions: CDNA3,
    classes: BOTH,
    interconnect: 'Infinity Fabric, 7 links, 8 GPUs fully connected',
  },
  {
    // rocm-docs gpu-specs.rst; power from AMD's MI325X product page (secondary in the reference)
    vendor: 'amd',
    model: 'MI325X',
    chip: 'gfx942',
    aliases: ['AMD_Instinct_MI325X_OAM', 'AMD_Instinct_MI325X', 'AMD Instinct MI325X'],
    pciDeviceIds: ['74a5'],
    memoryGB: 256,
    boardPowerW: 1000,
    bf16DenseTFLOPS: 1307.4,
    fp8DenseTFLOPS: 2614.9,
    precisions: CDNA3,
    classes: BOTH,
    interconnect: 'Infinity Fabric, 7 links, 8 GPUs fully connected',
  },
  {
    // rocm-docs docs/reference/gpu-arch/mi350.rst (verified)
    vendor: 'amd',
    model: 'MI350X',
    chip: 'gfx950',
    aliases: ['AMD_Instinct_MI350X_OAM', 'AMD_Instinct_MI350X', 'AMD Instinct MI350X'],
    pciDeviceIds: ['75a0'],
    memoryGB: 288,
    boardPowerW: 1000,
    bf16DenseTFLOPS: 2300,
    fp8DenseTFLOPS: 4600,
    precisions: CDNA4,
    classes: BOTH,
    interconnect: 'Infinity Fabric, 7 links, > 1 TB/s per GPU',
  },
];

const INTEL: Entry[] = [
  {
    // Intel Hot Chips 2024 "Intel Gaudi 3 AI Accelerator" slides (HL-325L OAM, 900 W air-cooled)
    vendor: 'intel',
    model: 'Gaudi3',
    chip: 'Gaudi 3',
    aliases: ['GAUDI3', 'Gaudi 3', 'HL-325L'],
    pciDeviceIds: ['1060', '1061', '1062'], // HabanaAI/gohlml getDeviceName (1020 is Gaudi 2)
    memoryGB: 128,
    boardPowerW: 900,
    bf16DenseTFLOPS: 1835,
    fp8DenseTFLOPS: 1835,
    precisions: ['fp32', 'tf32', 'bf16', 'fp16', 'fp8'],
    classes: BOTH,
    interconnect: '24x 200 GbE RoCE v2 on-die',
  },
  {
    // Data Center GPU Max 1550: labels only (gpu.intel.com/product=Max_1550, §2.4); the reference has
    // no memory, power or TFLOPS figures for it, so they stay unset.
    vendor: 'intel',
    model: 'Max1550',
    aliases: ['Max_1550', 'Max 1550', 'Intel Data Center GPU Max 1550'],
    precisions: ['fp64', 'fp32', 'tf32', 'bf16', 'fp16', 'int8'],
    classes: BOTH,
  },
  {
    // Announced at OCP Global Summit 2025 (Xe3P, 160 GB LPDDR5X); power and TFLOPS not disclosed.
    // Precisions are press-reported (FP8/INT8/BF16); positioned for air-cooled enterprise inference.
    vendor: 'intel',
    model: 'CrescentIsland',
    chip: 'Xe3P',
    aliases: ['Crescent_Island', 'Crescent Island', 'Crescent-Island'],
    memoryGB: 160,
    precisions: ['bf16', 'fp8', 'int8'],
    classes: ['inference'],
  },
];

// Tenstorrent publishes FP16, FP8 and BLOCKFP8 but no BF16 figure. Documented substitution: compute
// units come from the FP16 dense figure (same 16-bit width). TT-NN's native dtypes include bfloat16,
// so bf16 is a supported precision. Wormhole (401e) and Blackhole (b140) PCI IDs are shared by several
// boards, so they do not identify a model: use the Kentaur model label or the DRA boardName.
const TENSTORRENT: Entry[] = [
  {
    // docs.tenstorrent.com/aibs/wormhole/specifications.html (n300s/n300d, 2 chips, 300 W TBP)
    vendor: 'tenstorrent',
    model: 'n300',
    chip: 'Wormhole',
    aliases: ['n300s', 'n300d', 'Wormhole n300'],
    memoryGB: 24,
    boardPowerW: 300,
    fp16DenseTFLOPS: 131,
    fp8DenseTFLOPS: 466,
    precisions: ['fp32', 'bf16', 'fp16', 'fp8'],
    classes: BOTH,
    interconnect: '2x QSFP-DD 400 GbE + Warp 100 bridges',
    devicesPerCard: 2,
  },
  {
    // docs.tenstorrent.com/aibs/blackhole (memory, power, ports); FP16/FP8 from Hot Chips 2024
    // (The Register 2024-08-27) for 140 Tensix cores: firmware since early 2026 enables 120, and no
    // FP16 figure is published for that, so these are upper bounds.
    vendor: 'tenstorrent',
    model: 'p150',
    chip: 'Blackhole',
    aliases: ['p150a', 'p150b', 'Blackhole p150'],
    memoryGB: 32,
    boardPowerW: 300,
    fp16DenseTFLOPS: 372,
    fp8DenseTFLOPS: 745,
    precisions: ['fp32', 'bf16', 'fp16', 'fp8'],
    classes: BOTH,
    interconnect: '4x QSFP-DD 800G',
  },
];

function withComputeUnits(entry: Entry): AcceleratorModel {
  const tflops = entry.bf16DenseTFLOPS ?? entry.fp16DenseTFLOPS;
  return tflops === undefined ? { ...entry } : { ...entry, computeUnits: computeUnitsFromTFLOPS(tflops) };
}

const CATALOG: readonly AcceleratorModel[] = Object.freeze(
  [...NVIDIA, ...AMD, ...INTEL, ...TENSTORRENT].map(withComputeUnits),
);

/** Every catalog model (copies: callers may not change the catalog). */
export function catalogModels(): AcceleratorModel[] {
  return CATALOG.map((m) => structuredClone(m));
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The vendor's model whose name or an alias equals `nameOrAlias` (case-insensitive). */
export function findModel(vendor: VendorName, nameOrAlias: string): AcceleratorModel | undefined {
  const found = CATALOG.find(
    (m) => m.vendor === vendor && (same(m.model, nameOrAlias) || m.aliases.some((a) => same(a, nameOrAlias))),
  );
  return found && structuredClone(found);
}

/** The vendor's model with this PCI device ID (hex, with or without 0x). */
export function findModelByPciId(vendor: VendorName, deviceId: string): AcceleratorModel | undefined {
  const id = deviceId.toLowerCase().replace(/^0x/, '');
  const found = CATALOG.find((m) => m.vendor === vendor && (m.pciDeviceIds ?? []).includes(id));
  return found && structuredClone(found);
}

/** Vendors whose catalog has a model called `nameOrAlias` (to tell which vendor a model label is for). */
export function catalogVendorsOf(nameOrAlias: string): VendorName[] {
  const vendors = CATALOG.filter(
    (m) => same(m.model, nameOrAlias) || m.aliases.some((a) => same(a, nameOrAlias)),
  ).map((m) => m.vendor);
  return [...new Set(vendors)];
}

/**
 * The share of one chip a partition is: NVIDIA MIG `<g>g.<mem>gb` is g of 7 compute slices (7g is the
 * whole GPU); AMD SPX/DPX/QPX/CPX splits into 1/2/4/8 compute partitions (ROCm mi350.rst, and
 * 8 MI300X in CPX = 64 devices). Undefined for profiles it does not know.
 */
export function partitionShare(partition: string): number | undefined {
  const mig = /^([1-7])g\./.exec(partition);
  if (mig) return Number(mig[1]) / 7;
  const amd = /^(spx|dpx|qpx|cpx)_nps[1-8]$/i.exec(partition);
  if (!amd) return undefined;
  const parts: Record<string, number> = { spx: 1, dpx: 2, qpx: 4, cpx: 8 };
  return 1 / parts[amd[1]!.toLowerCase()]!;
}
