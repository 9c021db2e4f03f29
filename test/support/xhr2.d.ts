// xhr2 ships no types; tests only install it as the global XMLHttpRequest for botframework-directlinejs.
declare module 'xhr2' {
  const XMLHttpRequest: typeof globalThis.XMLHttpRequest;
  export default XMLHttpRequest;
}
