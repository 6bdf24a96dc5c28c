// A tiny observable store and a hook that re-renders a component when the store changes.
import { useLayoutEffect, useReducer } from "preact/hooks";

export function createStore(initial) {
  let state = initial;
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      const next = typeof patch === "function" ? patch(state) : patch;
      state = { ...state, ...next };
      for (const listener of [...listeners]) listener(state);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useStore(store) {
  const state = store.get();
  const [, rerender] = useReducer((n) => n + 1, 0);
  useLayoutEffect(() => {
    const unsubscribe = store.subscribe(rerender);
    if (store.get() !== state) rerender(); // changed between render and subscription
    return unsubscribe;
  }, [store]);
  return state;
}
