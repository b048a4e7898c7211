// `rx-persistent-store/react`: React hooks over a store. Kept out of the main entries so that
// only an application that imports this path needs React (an optional peer dependency).
export { useStoreState } from './react/use-store-state.js';
export { useStoreStatus } from './react/use-store-status.js';
