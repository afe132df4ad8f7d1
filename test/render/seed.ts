// Reads seed 000 (the Chinese walkthrough) as data: its four model sections, the cluster0N.yaml
// IstioOperator heredocs, the `istioctl install --set …` flags next to them and the node routes.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { SEED_000, SEED_MODELS, isObj, parseYamlDoc, type Obj, type SeedModel } from './helpers.js';

/** The seed's section headings, one line each, in the order of SEED_MODELS. */
const HEADINGS: Record<SeedModel, string> = {
  'primary-remote': '扁平网络单控制面(主从架构)',
  'multi-primary': '扁平网络多控制面(多主架构)',
  'primary-remote-multi-network': '非扁平网络单控制面(跨网络主从架构)',
  'multi-primary-multi-network': '非扁平网络多控制面(跨网络多主架构)',
};

export function seedText(): string {
  return readFileSync(SEED_000, 'utf8');
}

/** The text of each model's section (from its heading line to the next model's heading). */
export function seedSections(text = seedText()): Record<SeedModel, string> {
  const starts = SEED_MODELS.map((m) => {
    const re = new RegExp(`^${HEADINGS[m].replace(/[()]/g, '\\$&')}$`, 'm');
    const found = re.exec(text);
    expect(found, `seed 000 has a heading line "${HEADINGS[m]}"`).not.toBeNull();
    return found!.index;
  });
  for (let i = 1; i < starts.length; i++) expect(starts[i]!, 'seed 000 describes the four models in order').toBeGreaterThan(starts[i - 1]!);
  const out = {} as Record<SeedModel, string>;
  SEED_MODELS.forEach((m, i) => (out[m] = text.slice(starts[i], starts[i + 1] ?? text.length)));
  return out;
}

export interface SeedInstall {
  /** The IstioOperator of `cat <<EOF > <cluster>.yaml`, parsed (`${VAR}` still in place). */
  file: Obj;
  /** `--set path=value` flags of the `istioctl install … -f <cluster>.yaml` line that applies it. */
  sets: Record<string, string>;
}

/** The cluster01.yaml / cluster02.yaml heredocs of one model section and their install lines. */
export function seedInstalls(section: string): Record<string, SeedInstall> {
  const out: Record<string, SeedInstall> = {};
  const heredoc = /^cat <<EOF > (cluster0\d)\.yaml\n([\s\S]*?)\nEOF$/gm;
  for (const m of section.matchAll(heredoc)) {
    const cluster = m[1]!;
    const install = new RegExp(`^istioctl install (.*)-f ${cluster}\\.yaml -y$`, 'm').exec(section.slice(m.index));
    expect(install, `seed 000 installs ${cluster}.yaml with istioctl`).not.toBeNull();
    const sets: Record<string, string> = {};
    for (const s of install![1]!.matchAll(/--set ([^=\s]+)=(\S+)/g)) sets[s[1]!] = s[2]!;
    out[cluster] = { file: parseYamlDoc(m[2]!, `seed 000 ${cluster}.yaml`), sets };
  }
  return out;
}

/** Replaces `${NAME}` in every string of a parsed YAML value. */
export function substitute(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\$\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  return value;
}

export interface SeedRoute {
  on: string;
  destination: string;
  /** The cluster whose node the route goes through (`docker inspect … <cluster>-control-plane`). */
  via: string;
}

/** `docker container exec <on>-control-plane ip route add <cidr> via $(… <via>-control-plane) dev eth0`. */
export function seedRoutes(section: string): SeedRoute[] {
  const re = /^docker container exec (\S+)-control-plane ip route add (\S+) via \$\(docker inspect .*? (\S+)-control-plane\) dev eth0$/gm;
  return [...section.matchAll(re)].map((m) => ({ on: m[1]!, destination: m[2]!, via: m[3]! }));
}
