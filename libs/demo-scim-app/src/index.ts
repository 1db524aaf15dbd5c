export { startDemoScimApp, type DemoScimApp, type DemoScimAppOptions } from './demo-scim-app';
