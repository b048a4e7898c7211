import { Observable } from 'rxjs';

/** `source` as an Observable that counts its live subscriptions: to check that a consumer lets go. */
export function countedSubscriptions<T>(source: Observable<T>): { readonly observable: Observable<T>; active(): number } {
  let active = 0;
  const observable = new Observable<T>((subscriber) => {
    active++;
    const subscription = source.subscribe(subscriber);
    return () => {
      active--;
      subscription.unsubscribe();
    };
  });
  return { observable, active: () => active };
}
