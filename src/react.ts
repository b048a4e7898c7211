// `rx-persistent-store/react`: React hooks over a store. Kept out of the main entries so that
// only an application that imports this path needs React (an optional peer dependency).
export { useStoreState, type StateSource } from './react/use-store-state.js';
export { useStoreStatus, type StatusSource } from './react/use-store-status.js';
