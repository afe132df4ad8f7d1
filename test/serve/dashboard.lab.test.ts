/**
 * The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) against `meshfed serve` (the built CLI, dist/) watching a lab mesh: seed
 * 000's primary-remote multi-network example on two real lab control planes. Each cluster
 * gets `istio-system` with its network label and an east-west gateway Service (type
 * LoadBalancer, the rendered gateway's labels, ports and pinned address), which the lab load
 * balancer gives its address; Istio itself is not installed (not needed for what the page
 * shows: discovery reads these objects as istiod does).
 * Loopback addresses 127.0.17.x belong to this file only. Screenshots go to
 * <tmp>/meshfed-dashboard-screenshots/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObject, getObject, type KubeClients, type KubeObject } from '../../src/kube/index.js';
import { planMesh, type Plan } from '../../src/plan/index.js';
import type { DoctorReport } from '../../src/doctor/index.js';
import { startLabMesh, type LabMesh } from '../apply/labMesh.js';
import { runCli } from '../cli/run.js';
import { eventually } from '../lab/labTools.js';

const IPS = ['127.0.17.1', '127.0.17.2'];
const EXAMPLE = 'examples/primary-remote-multi-network/mesh.yaml';
// Not under out/: that is the README's render folder, and `meshfed render -o out` refuses a
// folder holding files it did not render (so `npm start` after `npm test` would fail).
const SHOTS = join(tmpdir(), 'meshfed-dashboard-screenshots');
const NS = 'dash';
const HOST = `web.${NS}.svc.cluster.local`;

let lab: LabMesh;
let plan: Plan;
let serve: ChildProcess;
let url = '';
let browser: Browser;
let page: Page;
/** Every response the page received, with its body, and every request header it sent. */
const seen: { url: string; body: string }[] = [];
const sentHeaders: Record<string, string>[] = [];
const gatewayAddress: Record<string, string> = {};

const k = (cluster: string): KubeClients => lab.clients.get(cluster)!;

function gatewayService(network: string, address: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'istio-eastwestgateway', namespace: 'istio-system', labels: { istio: 'eastwestgateway', app: 'istio-eastwestgateway', 'topology.istio.io/network': network } },
    spec: {
      type: 'LoadBalancer',
      loadBalancerIP: address,
      selector: { istio: 'eastwestgateway' },
      ports: [
        { name: 'status-port', port: 15021, targetPort: 15021 },
        { name: 'tls', port: 15443, targetPort: 15443 },
        { name: 'tls-istiod', port: 15012, targetPort: 15012 },
        { name: 'tls-webhook', port: 15017, targetPort: 15017 },
      ],
    },
  };
}

function web(replicas: number): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', 'security.istio.io/tlsMode': 'istio' } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:1', ports: [{ containerPort: 8080 }] }] } } },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  ];
}

/** Text of the elements matching `selector`, once they satisfy `ok` (the page updates itself). */
async function pageHas(what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  await eventually(what, async () => ((await ok()) ? true : undefined), timeoutMs);
}

beforeAll(async () => {
  lab = await startLabMesh('dashboard', EXAMPLE, IPS);
  plan = planMesh(lab.mesh);
  for (const c of plan.clusters) {
    await applyObject(k(c.name), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system', labels: { 'topology.istio.io/network': c.network } } });
    await applyObject(k(c.name), gatewayService(c.network, c.eastWestGateway!.address!));
  }
  for (const c of plan.clusters) {
    gatewayAddress[c.name] = await eventually(`${c.name}'s gateway address from the lab load balancer`, async () => {
      const svc = await getObject(k(c.name), { apiVersion: 'v1', kind: 'Service', name: 'istio-eastwestgateway', namespace: 'istio-system' });
      return (svc?.status as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)?.loadBalancer?.ingress?.[0]?.ip;
    });
  }
  serve = spawn(process.execPath, ['bin/meshfed.js', 'serve', '-f', lab.meshPath, '--port', '0', '--doctor-every', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  serve.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: serve.stdout! }).once('line', resolve);
    serve.once('exit', (code) => reject(new Error(`meshfed serve exited ${code}: ${stderr}`)));
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('request', (r) => sentHeaders.push(r.headers()));
  page.on('response', async (r) => {
    // The event stream never ends; its events are checked through the page instead.
    if (r.url().endsWith('/api/v1/events')) return;
    seen.push({ url: r.url(), body: await r.text().catch(() => '') });
  });
  await mkdir(SHOTS, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  serve?.kill('SIGTERM');
  await lab?.down();
});

const clusterState = (name: string) => page.locator(`li.cluster-item[data-cluster="${name}"]`).getAttribute('data-state');

describe('the dashboard in a real browser, against a lab mesh', () => {
  it('the topology shows every cluster, network, gateway address and remote-secret edge of the plan, synced, in the graph and its text', async () => {
    await page.goto(url + '/');
    // A marker that a reload would lose: every later check also proves there was none.
    await page.evaluate('window.noReload = true');
    for (const c of plan.clusters) await pageHas(`${c.name} synced`, async () => (await clusterState(c.name)) === 'synced', 60_000);
    // The live addresses (from the lab load balancer), once discovery has them.
    await pageHas('gateway addresses shown live', async () => (await page.locator('.gateway-item').allTextContents()).every((t) => !t.includes('planned')) && (await page.locator('.gateway-item').count()) === 2);
    const text = await page.locator('.topology-text').innerText();
    for (const n of plan.mesh.networks) expect(await page.locator(`li[data-network="${n}"]`).count(), n).toBe(1);
    for (const c of plan.clusters) {
      expect(await page.locator(`li[data-network="${c.network}"] li.cluster-item[data-cluster="${c.name}"]`).count(), c.name).toBe(1);
      expect(text).toContain(`east-west gateway of ${c.name}: ${gatewayAddress[c.name]}:15443`);
    }
    expect(plan.remoteSecrets.length).toBeGreaterThan(0);
    for (const s of plan.remoteSecrets) expect(await page.locator(`ul.secret-edges li[data-edge="${s.primary}->${s.watched}"]`).innerText()).toBe(`${s.primary} watches ${s.watched} through ${s.name}`);
    for (const c of plan.clusters.filter((x) => x.role === 'remote')) expect(await page.locator(`ul.control-edges li[data-edge="${c.primary}->${c.name}"]`).count()).toBe(1);
    // The graph holds the same: a node per network, cluster and gateway, an edge per secret and control plane.
    const graph = (await page.evaluate(`(() => {
      const cy = window.meshfedDashboard.cy;
      return { nodes: cy.nodes().map((n) => ({ id: n.id(), classes: n.classes(), label: n.data('label') })), edges: cy.edges().map((e) => e.id()) };
    })()`)) as { nodes: { id: string; classes: string[]; label: string }[]; edges: string[] };
    const ids = graph.nodes.map((n) => n.id);
    for (const n of plan.mesh.networks) expect(ids).toContain(`network:${n}`);
    for (const c of plan.clusters) {
      expect(graph.nodes.find((n) => n.id === `cluster:${c.name}`)?.classes).toContain('state-synced');
      expect(graph.nodes.find((n) => n.id === `gateway:${c.name}:${gatewayAddress[c.name]}`)?.label).toContain(gatewayAddress[c.name]);
    }
    for (const s of plan.remoteSecrets) expect(graph.edges).toContain(`secret:${s.primary}:${s.watched}`);
    await page.waitForTimeout(500); // the layout settles
    await page.screenshot({ path: `${SHOTS}/topology.png` });
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(13, 17, 23)');
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/topology-dark.png` });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(255, 255, 255)');
  });

  it('a Service created in a lab cluster appears in the table, and its endpoint count follows the Deployment as it is scaled, without a reload', async () => {
    await page.click('header nav a[data-section="services"]');
    await page.fill('#service-search', 'web.dash');
    const cell = page.locator(`tr[data-hostname="${HOST}"] .per-cluster[data-cluster="cluster02"]`);
    expect(await cell.count()).toBe(0);
    const created = Date.now();
    for (const o of web(1)) await applyObject(k('cluster02'), o);
    await pageHas('the new Service in the table with 1 ready endpoint', async () => (await cell.count()) === 1 && (await cell.getAttribute('data-ready')) === '1', 60_000);
    console.log(`dashboard: the new Service showed with its endpoint ${Date.now() - created} ms after it was created (kwok, the EndpointSlice controller, discovery and the page together)`);
    const scaled = Date.now();
    await applyObject(k('cluster02'), web(3)[1]!);
    await pageHas('3 ready endpoints after scaling to 3', async () => (await cell.getAttribute('data-endpoints')) === '3' && (await cell.getAttribute('data-ready')) === '3', 60_000);
    console.log(`dashboard: the scale to 3 showed ${Date.now() - scaled} ms after the Deployment changed`);
    expect(await page.locator(`tr[data-hostname="${HOST}"] .per-network[data-network="network2"]`).innerText()).toBe('network2: 3 3/3 ready');
    expect(await page.evaluate('window.noReload')).toBe(true);
  });

  it("keyboard only: to the services, search, into a service, choose network1: the view lists network2's gateway with weight 3", async () => {
    await page.goto(url + '/');
    await page.evaluate('window.noReload = true');
    const focusedText = () => page.evaluate('document.activeElement?.textContent ?? ""') as Promise<string>;
    // Tab from the top: the skip link, the section links…
    for (let i = 0; i < 10 && (await focusedText()) !== 'Services'; i++) await page.keyboard.press('Tab');
    expect(await focusedText()).toBe('Services');
    await page.keyboard.press('Enter');
    await pageHas('the services view', async () => (await page.locator('body').getAttribute('data-view')) === 'services');
    await page.keyboard.press('/');
    await pageHas('search focused', async () => (await page.evaluate('document.activeElement?.id')) === 'service-search');
    await page.keyboard.type(HOST);
    for (let i = 0; i < 5 && (await focusedText()) !== HOST; i++) await page.keyboard.press('Tab');
    expect(await focusedText()).toBe(HOST);
    await page.keyboard.press('Enter');
    await pageHas('the service page', async () => (await page.locator('body').getAttribute('data-view')) === 'service');
    expect(page.url()).toBe(`${url}/services/${HOST}`);
    await page.focus('#network-select');
    await page.keyboard.press('ArrowDown'); // network1
    await pageHas('the network1 view', async () => (await page.locator('.network-view[data-network="network1"]').count()) === 1);
    const gw = page.locator(`.network-view tr[data-via="gateway"][data-address="${gatewayAddress['cluster02']}"]`);
    expect(await gw.getAttribute('data-weight')).toBe('3');
    expect(await gw.innerText()).toContain('3 endpoints');
    expect(await page.locator('.network-view tr[data-via="pod"]').count()).toBe(0);
    expect(page.url()).toBe(`${url}/services/${HOST}?network=network1`);
    await page.screenshot({ path: `${SHOTS}/service.png`, fullPage: true });
    // The deep link opens the same view from nothing.
    const fresh = await browser.newPage();
    await fresh.goto(`${url}/services/${HOST}?network=network1`);
    await eventually('deep link view', async () => ((await fresh.locator(`.network-view tr[data-via="gateway"][data-address="${gatewayAddress['cluster02']}"]`).count()) === 1 ? true : undefined));
    await fresh.goto(`${url}/clusters/cluster02`);
    await eventually('cluster deep link', async () => ((await fresh.locator('section.cluster[data-cluster="cluster02"] h1').innerText().catch(() => '')).startsWith('cluster02') ? true : undefined));
    expect(await fresh.locator('section.cluster').innerText()).toContain('remote of cluster01');
    await fresh.close();
    expect(await page.evaluate('window.noReload')).toBe(true);
  });

  it("trust and checks: the root's fingerprint and each intermediate chaining; doctor's findings per cluster as `meshfed doctor` finds them; verify none yet", async () => {
    await page.click('header nav a[data-section="trust"]');
    await pageHas('the trust view', async () => (await page.locator('#root-fingerprint').count()) === 1);
    expect(await page.locator('#root-fingerprint').innerText()).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    for (const c of plan.clusters) expect(await page.locator(`#intermediates tr[data-cluster="${c.name}"]`).getAttribute('data-chains')).toBe('');
    // serve --doctor-every 10 ran doctor at start; the checks view shows its report.
    await eventually('a doctor report recorded by serve', async () => (((await (await fetch(`${url}/api/v1/checks`)).json()) as { doctor: { state: string } }).doctor.state === 'present' ? true : undefined), 120_000);
    await page.click('header nav a[data-section="checks"]');
    await pageHas('the checks view', async () => (await page.locator('.doctor-cluster').count()) === plan.clusters.length);
    const shown = ((await page.evaluate(`[...document.querySelectorAll('.doctor-cluster li.finding')].map((li) => li.closest('.doctor-cluster').dataset.cluster + ' ' + li.dataset.code)`)) as string[]).sort();
    // serve runs doctor without istioctl analyze (MF4080).
    const cli = await runCli('doctor', '-f', lab.meshPath, '-o', 'json', '--no-analyze');
    const report = JSON.parse(cli.stdout) as DoctorReport;
    expect(shown.length).toBeGreaterThan(plan.clusters.length);
    expect(shown).toEqual(report.clusters.flatMap((c) => c.findings.map((f) => `${c.cluster} ${f.code}`)).sort());
    expect(await page.locator('#verify-none').innerText()).toContain('no meshfed verify result yet');
    await page.screenshot({ path: `${SHOTS}/checks.png`, fullPage: true });
  });

  it("stopping cluster02's API server turns its node to not synced, without a reload", async () => {
    await page.click('header nav a[data-section="topology"]');
    await pageHas('cluster02 synced', async () => (await clusterState('cluster02')) === 'synced');
    const apiserver = lab.lab.processes.filter((p) => p.component === 'kube-apiserver' && p.cluster === 'cluster02').at(-1)!;
    process.kill(apiserver.pid, 'SIGKILL');
    await pageHas('cluster02 not synced', async () => !['synced', null].includes(await clusterState('cluster02')), 60_000);
    const node = (await page.evaluate("window.meshfedDashboard.cy.getElementById('cluster:cluster02').classes()")) as string[];
    expect(node.some((c) => c === 'state-syncing' || c === 'state-timeout')).toBe(true);
    expect(await clusterState('cluster01')).toBe('synced');
    await page.screenshot({ path: `${SHOTS}/topology-cluster02-down.png` });
    expect(await page.evaluate('window.noReload')).toBe(true);
  });

  it('no response the page received holds key or token material, and it sent no credential', async () => {
    expect(seen.length).toBeGreaterThan(10);
    // The real secrets of this lab: the kubeconfig's tokens and keys, the trust folder's keys.
    const kubeconfig = await readFile(lab.lab.kubeconfig, 'utf8');
    const secrets = [...kubeconfig.matchAll(/(?:token|client-key-data|client-certificate-data): *(\S+)/g)].map((m) => m[1]!);
    for (const f of ['root-key.pem', 'cluster01/ca-key.pem', 'cluster02/ca-key.pem']) secrets.push((await readFile(`${lab.dir}/certs/${f}`, 'utf8')).split('\n').slice(1, 3).join(''));
    expect(secrets.length).toBeGreaterThan(3);
    for (const r of seen) {
      expect(r.body, r.url).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|client-key-data|client-certificate-data|certificate-authority-data|kind: *Config|current-context|Bearer [A-Za-z0-9]/i);
      for (const s of secrets) expect(r.body.includes(s), `${r.url} holds a secret of the lab`).toBe(false);
    }
    for (const h of sentHeaders) {
      expect(h['authorization']).toBeUndefined();
      expect(h['cookie']).toBeUndefined();
    }
  });
});
