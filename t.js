import {Observable,Subject,BehaviorSubject,map,filter,distinctUntilChanged} from 'rxjs'; console.log(Observable,Subject,BehaviorSubject,map,filter,distinctUntilChanged)
