/*
 * 3D preview of STL files (designs library). No build step: a plain ES module that imports the
 * vendored three.js by relative URL, so it works offline and under any STATIC_URL.
 *
 * Markup expected from the template (the <img> is the placeholder, replaced once the model is
 * shown; it stays when WebGL is missing or loading fails):
 *
 *   <div data-model-viewer
 *        data-src="{{ file_url }}"
 *        data-label-canvas="{% translate '3D model of the tub: drag to rotate, scroll to zoom, arrow keys to pan' %}"
 *        data-label-loading="{% translate 'Loading the 3D model…' %}"
 *        data-label-error="{% translate 'The 3D model could not be shown.' %}"
 *        data-label-nowebgl="{% translate 'Your browser cannot show 3D models: here is a picture.' %}"
 *        style="height: 360px">
 *     <img src="{{ thumbnail_url }}" alt="{{ file.description|default:file.filename }}">
 *   </div>
 *   <script type="module" src="{% static 'designs/js/model-viewer.js' %}"></script>
 *
 * No import map is needed. The element needs a height (the canvas fills it). data-label-canvas is
 * optional (the image's alt text is used otherwise). Elements added later by htmx are upgraded
 * too. Keys on the focused canvas: arrows pan, Shift+arrows rotate, + and − zoom, 0 resets.
 */
import * as THREE from '../../vendor/three/build/three.module.js';
import { OrbitControls } from '../../vendor/three/examples/jsm/controls/OrbitControls.js';
import { STLLoader } from '../../vendor/three/examples/jsm/loaders/STLLoader.js';

const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');

function webglAvailable() {
  try {
    const canvas = document.createElement('canvas');
    return !!(window.WebGLRenderingContext && (canvas.getContext('webgl2') || canvas.getContext('webgl')));
  } catch {
    return false;
  }
}

function setStatus(root, text, isError = false) {
  let status = root.querySelector('.model-viewer__status');
  if (!status) {
    status = document.createElement('p');
    status.className = 'model-viewer__status';
    status.setAttribute('role', 'status');
    Object.assign(status.style, {
      position: 'absolute', left: '0', right: '0', bottom: '0', margin: '0', padding: '.4em .6em',
      background: 'rgba(255,255,255,.85)', color: '#222', font: 'inherit', fontSize: '.9em',
    });
    root.append(status);
  }
  status.textContent = text || '';
  status.hidden = !text;
  status.classList.toggle('model-viewer__status--error', isError);
}

/** Camera, controls and grid framed on the model's bounding box, whatever its size (mm to m). */
function frame(camera, controls, grid, mesh) {
  const box = new THREE.Box3().setFromObject(mesh);
  const size = box.getSize(new THREE.Vector3());
  const radius = Math.max(size.length() / 2, 1);
  const fov = THREE.MathUtils.degToRad(camera.fov);
  const distance = (radius / Math.sin(fov / 2)) * 1.1;
  const target = box.getCenter(new THREE.Vector3());
  camera.near = distance / 100;
  camera.far = distance * 100;
  camera.position.copy(target).add(new THREE.Vector3(1, 0.8, 1.2).normalize().multiplyScalar(distance));
  camera.updateProjectionMatrix();
  controls.target.copy(target);
  controls.minDistance = radius * 0.2;
  controls.maxDistance = distance * 6;
  controls.update();
  controls.saveState();
  const span = Math.max(size.x, size.z) * 1.6;
  grid.scale.setScalar(span / 10);
  grid.position.set(target.x, box.min.y, target.z);
}

function dolly(camera, controls, factor) {
  const offset = camera.position.clone().sub(controls.target).multiplyScalar(factor);
  const length = THREE.MathUtils.clamp(offset.length(), controls.minDistance, controls.maxDistance);
  camera.position.copy(controls.target).add(offset.setLength(length));
  controls.update();
}

function upgrade(root) {
  if (root.dataset.modelViewerReady) return;
  root.dataset.modelViewerReady = 'true';
  const d = root.dataset;
  const placeholder = root.querySelector('img');
  if (getComputedStyle(root).position === 'static') root.style.position = 'relative';
  if (!webglAvailable()) {
    setStatus(root, d.labelNowebgl);
    return;
  }
  setStatus(root, d.labelLoading);

  let renderer;
  try {
    renderer = new THREE.WebGLRenderer({ antialias: true, alpha: true });
  } catch {
    setStatus(root, d.labelNowebgl); // a context can still be refused (GPU blocklist, too many)
    return;
  }
  renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
  const canvas = renderer.domElement;
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', d.labelCanvas || placeholder?.alt || '');
  Object.assign(canvas.style, { display: 'block', width: '100%', height: '100%', touchAction: 'none' });

  const scene = new THREE.Scene();
  scene.add(new THREE.AmbientLight(0xffffff, 0.9));
  const sun = new THREE.DirectionalLight(0xffffff, 1.6);
  sun.position.set(1, 2, 1.5);
  scene.add(sun);
  const grid = new THREE.GridHelper(10, 10, 0x888888, 0xcccccc);
  scene.add(grid);
  const camera = new THREE.PerspectiveCamera(40, 1, 0.1, 1000);
  camera.add(new THREE.DirectionalLight(0xffffff, 0.6)); // a head lamp: no face stays black
  scene.add(camera);

  const controls = new OrbitControls(camera, canvas);
  controls.enableDamping = !reducedMotion.matches;
  controls.listenToKeyEvents(canvas);
  controls.autoRotateSpeed = 1.5;
  const stopRotation = () => { controls.autoRotate = false; };
  controls.addEventListener('start', stopRotation);

  canvas.addEventListener('keydown', (event) => {
    stopRotation(); // whoever uses the keyboard wants the model to hold still
    const factors = { '+': 0.8, '=': 0.8, '-': 1.25, '_': 1.25 };
    if (event.key in factors) dolly(camera, controls, factors[event.key]);
    else if (event.key === '0') controls.reset();
    else return;
    event.preventDefault();
  });
  reducedMotion.addEventListener?.('change', () => {
    if (reducedMotion.matches) stopRotation();
    controls.enableDamping = !reducedMotion.matches;
  });

  const resize = () => {
    const { clientWidth: w, clientHeight: h } = root;
    if (!w || !h) return;
    renderer.setSize(w, h, false);
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
  };
  new ResizeObserver(resize).observe(root);

  let visible = true;
  new IntersectionObserver((entries) => { visible = entries.some((e) => e.isIntersecting); }).observe(root);
  renderer.setAnimationLoop(() => {
    if (!visible) return;
    controls.update();
    renderer.render(scene, camera);
  });

  new STLLoader().load(
    d.src,
    (geometry) => {
      if (!geometry.getAttribute('position')?.count) {
        fail();
        return;
      }
      geometry.rotateX(-Math.PI / 2); // STL files are Z-up, three.js is Y-up
      geometry.computeVertexNormals();
      const material = new THREE.MeshStandardMaterial({ color: 0xb8bcc2, metalness: 0.1, roughness: 0.65 });
      const mesh = new THREE.Mesh(geometry, material);
      scene.add(mesh);
      if (placeholder) placeholder.hidden = true;
      root.prepend(canvas);
      resize();
      frame(camera, controls, grid, mesh);
      controls.autoRotate = !reducedMotion.matches;
      setStatus(root, '');
    },
    undefined,
    () => fail(),
  );

  function fail() {
    renderer.setAnimationLoop(null);
    renderer.dispose();
    canvas.remove();
    if (placeholder) placeholder.hidden = false;
    setStatus(root, d.labelError, true);
  }
}

function upgradeAll(scope = document) {
  if (scope.matches?.('[data-model-viewer]')) upgrade(scope);
  scope.querySelectorAll?.('[data-model-viewer]').forEach(upgrade);
}

upgradeAll();
document.addEventListener('htmx:load', (event) => upgradeAll(event.detail?.elt));
